//go:build !linux

package local

import "net"

// loops are the event loops of Linux; elsewhere the server loop serves
// every request.
type loops struct{}

func (s *server) startLoops()         {}
func (*loops) take(*net.TCPConn) bool { return false }
func (*loops) signal()                {}
func (*loops) cut()                   {}
