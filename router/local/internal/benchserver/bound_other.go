//go:build !linux

package main

import (
	"context"
	"errors"
)

// runBound needs epoll.
func runBound(context.Context, string) error {
	return errors.New("-role bound runs on Linux only")
}
