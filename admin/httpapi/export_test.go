package httpapi

import "time"

// SetEndGrace shortens how long a stream waits for the log of a build that
// ended after starting (tests).
func SetEndGrace(h *Handler, d time.Duration) { h.endGrace = d }
