// Command wsfollow prints the messages of a WebSocket, one a line, until
// the server closes it: a small stand-in for websocat (which Debian does not
// package), used by the README's walk-through to follow a build's log live.
//
//	go run ./examples/wsfollow -H "authorization: Bearer $token" ws://localhost:3001/v1/builds/bld_…/logs/ws
//
// The URL may be ws://, wss://, or http:// and https://, taken as ws:// and
// wss://. wsfollow exits 0 when the server closes the connection normally
// (status 1000); otherwise it exits 1, printing the close status and reason,
// or the status and body of a refused upgrade, on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/coder/websocket"
)

// maxMessage bounds one message (a build-log line is at most a few KiB).
const maxMessage = 1 << 20

// headers is the repeatable -H flag.
type headers http.Header

func (h headers) String() string { return "" }

func (h headers) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf(`want "Name: value", got %q`, s)
	}
	http.Header(h).Add(textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value))
	return nil
}

func main() {
	h := headers{}
	flag.Var(h, "H", `a request header, "Name: value" (repeatable)`)
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: wsfollow [-H 'Name: value']... URL")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := follow(ctx, flag.Arg(0), http.Header(h), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wsfollow:", err)
		os.Exit(1)
	}
}

// follow connects to url with the header h and writes each message to out,
// followed by a newline, until the server closes the connection. It
// returns nil after a normal closure.
func follow(ctx context.Context, url string, h http.Header, out io.Writer) error {
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024)) // all Dial keeps of it
			return fmt.Errorf("%s: the server answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		}
		return err
	}
	defer c.CloseNow()
	c.SetReadLimit(maxMessage)
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			switch {
			case errors.As(err, &ce) && ce.Code == websocket.StatusNormalClosure:
				return nil
			case errors.As(err, &ce):
				return fmt.Errorf("the server closed the connection: %d %s", ce.Code, ce.Reason)
			}
			return err
		}
		if _, err := fmt.Fprintf(out, "%s\n", data); err != nil {
			return err
		}
	}
}
