// Package dashboard runs the example servers (nethttp, chi, gin, echo)
// with the browser dashboard (package ui) mounted under Prefix beside the
// API, and checks an example's router with both.
package dashboard
