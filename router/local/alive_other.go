//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package local

// peekAlive cannot look at the socket on this system: the connection is
// taken as usable, and a request that finds it closed gets 502.
func peekAlive(uintptr) bool { return true }
