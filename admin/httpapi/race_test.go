//go:build race

package httpapi_test

// raceDetector: this test binary runs with the race detector, which slows
// what the load tests measure several times over.
const raceDetector = true
