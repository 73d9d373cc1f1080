//go:build !race

package httpapi_test

// raceDetector: this test binary runs without the race detector.
const raceDetector = false
