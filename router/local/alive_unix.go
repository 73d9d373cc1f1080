//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package local

import "syscall"

// peekAlive reports whether the socket fd has nothing to read and is not
// closed by its peer, without waiting or consuming anything.
func peekAlive(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err == syscall.EAGAIN || err == syscall.EWOULDBLOCK // else data, EOF or an error
}
