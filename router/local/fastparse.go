package local

import (
	"bytes"
	"net/http"
	"strconv"
	"unsafe"
)

// The event loop (see loop_linux.go) forwards the common requests itself
// and hands everything else to the server loop. Its parsers accept a
// strict subset of HTTP/1.1 that they read exactly as net/http does:
// anything outside it (a bare LF, a folded or odd header, a coding, an
// upgrade, a byte net/http would escape or refuse) is not an error but a
// hand-over, so that net/http's parser and the router's usual path decide.

// Results of the fast parsers.
const (
	fastMore    = iota // not complete yet: read more
	fastOK             // parsed: the loop handles it
	fastHandOff        // the server loop must handle it
)

// maxFastHead bounds the request and response heads the loop parses;
// longer ones go to the server loop, which allows up to 1 MiB.
const maxFastHead = 16 << 10

var crlfcrlf = []byte("\r\n\r\n")

// findHead finds the blank line that ends the head at the start of b.
func findHead(b []byte) (end, res int) {
	end = bytes.Index(b, crlfcrlf)
	switch {
	case end < 0 && len(b) > maxFastHead, end+4 > maxFastHead:
		return end, fastHandOff
	case end < 0:
		return end, fastMore
	}
	return end, fastOK
}

// fastRequest is a request head the loop forwards itself.
type fastRequest struct {
	head       []byte // the head, each line ending in CRLF, the blank line left out
	headLen    int    // bytes of the head with its blank line
	bodyLen    int    // Content-Length, at most maxBufferedBody
	method     []byte
	path       []byte // the escaped path, as sent (net/http's EscapedPath of it is itself)
	query      []byte // the raw query, without '?'
	host       []byte // the Host header's value
	hasLength  bool   // a Content-Length header was sent
	close      bool   // Connection: close
	teTrailers bool   // TE names trailers
	idemKey    bool   // Idempotency-Key or X-Idempotency-Key
}

// parseFastRequest parses the request at the start of b.
func parseFastRequest(b []byte, r *fastRequest) int {
	end, res := findHead(b)
	if res != fastOK {
		return res
	}
	*r = fastRequest{head: b[:end+2], headLen: end + 4}
	lines := r.head
	nl := bytes.IndexByte(lines, '\n')
	if !parseRequestLine(lines[:nl+1], r) {
		return fastHandOff
	}
	hosts, lengths := 0, 0
	for rest := lines[nl+1:]; len(rest) > 0; {
		nl := bytes.IndexByte(rest, '\n')
		name, value, ok := splitField(rest[:nl+1])
		if !ok {
			return fastHandOff
		}
		rest = rest[nl+1:]
		switch len(name) {
		case 2:
			if asciiEqualFold(name, "te") {
				r.teTrailers = r.teTrailers || hasTokenBytes(value, "trailers")
			}
		case 4:
			if asciiEqualFold(name, "host") {
				hosts++
				r.host = value
			}
		case 6:
			if asciiEqualFold(name, "expect") {
				return fastHandOff
			}
		case 7:
			if asciiEqualFold(name, "upgrade") {
				return fastHandOff
			}
		case 10:
			if asciiEqualFold(name, "connection") {
				close, ok := connectionTokens(value)
				if !ok {
					return fastHandOff
				}
				r.close = r.close || close
			}
		case 14:
			if asciiEqualFold(name, "content-length") {
				lengths++
				n, ok := parseLength(value, maxBufferedBody)
				if !ok {
					return fastHandOff
				}
				r.bodyLen, r.hasLength = n, true
			}
		case 15:
			r.idemKey = r.idemKey || asciiEqualFold(name, "idempotency-key")
		case 17:
			if asciiEqualFold(name, "transfer-encoding") {
				return fastHandOff
			}
			r.idemKey = r.idemKey || asciiEqualFold(name, "x-idempotency-key")
		}
	}
	if hosts != 1 || len(r.host) == 0 || !isHost(unsafeString(r.host)) || lengths > 1 {
		return fastHandOff
	}
	if len(b) < r.headLen+r.bodyLen {
		return fastMore
	}
	return fastOK
}

// parseRequestLine accepts METHOD SP origin-form SP HTTP/1.1 CRLF for the
// methods the loop forwards (HEAD and CONNECT, whose answers are special,
// go to the server loop), with a path of bytes net/http passes on as they
// are.
func parseRequestLine(line []byte, r *fastRequest) bool {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return false
	}
	r.method = line[:sp]
	switch string(r.method) {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		return false
	}
	rest := line[sp+1:]
	const proto = " HTTP/1.1\r\n"
	if !bytes.HasSuffix(rest, []byte(proto)) {
		return false
	}
	target := rest[:len(rest)-len(proto)]
	if len(target) == 0 || target[0] != '/' {
		return false
	}
	path := target
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		path, r.query = target[:q], target[q+1:]
		for _, c := range r.query {
			if c <= ' ' || c >= 0x7f || c == '#' {
				return false
			}
		}
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c >= 0x80 || !pathChars[c] {
			return false
		}
		if c == '%' && (i+2 >= len(path) || !isHex(path[i+1]) || !isHex(path[i+2])) {
			return false
		}
	}
	r.path = path
	return true
}

// pathChars are the bytes of a path net/http's URL.EscapedPath returns as
// they came: unreserved, sub-delims, ':', '@', '/' and '%' (of a valid
// escape).
var pathChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "-._~!$&'()*+,;=:@/%" {
		t[c] = true
	}
	return t
}()

// splitField splits a header line ending in CRLF into its name (a token
// right before the colon) and value (without surrounding spaces and tabs,
// of visible ASCII, spaces and tabs only).
func splitField(line []byte) (name, value []byte, ok bool) {
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, nil, false
	}
	line = line[:len(line)-2]
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, false
	}
	name = line[:colon]
	for _, c := range name {
		if c >= 0x80 || !tokenChars[c] {
			return nil, nil, false
		}
	}
	value = line[colon+1:]
	for _, c := range value {
		if (c < ' ' && c != '\t') || c >= 0x7f {
			return nil, nil, false
		}
	}
	for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
		value = value[1:]
	}
	for len(value) > 0 && (value[len(value)-1] == ' ' || value[len(value)-1] == '\t') {
		value = value[:len(value)-1]
	}
	return name, value, true
}

// connectionTokens reads a Connection value made only of keep-alive and
// close; any other token (a header named to be dropped, upgrade) is for
// the server loop.
func connectionTokens(v []byte) (close, ok bool) {
	for len(v) > 0 {
		tok := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		tok = bytes.Trim(tok, " \t")
		switch {
		case len(tok) == 0:
		case asciiEqualFold(tok, "close"):
			close = true
		case asciiEqualFold(tok, "keep-alive"):
		default:
			return false, false
		}
	}
	return close, true
}

// hasTokenBytes is hasToken of one value.
func hasTokenBytes(v []byte, token string) bool {
	return hasToken([]string{string(v)}, token)
}

// parseLength parses a Content-Length of digits only, at most max.
func parseLength(v []byte, max int) (int, bool) {
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= max
}

// asciiEqualFold reports whether b equals the lower-case ASCII s in any
// case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// dropFastRequestField reports whether the client's header name is not
// sent on: what dropRequestHeader drops (the loop hands over requests
// whose Connection names other headers).
func dropFastRequestField(name []byte) bool {
	switch {
	case len(name) >= 12 && asciiEqualFold(name[:12], "x-forwarded-"), isFastHopField(name):
		return true
	}
	return asciiEqualFold(name, "host") || asciiEqualFold(name, "content-length") || asciiEqualFold(name, "forwarded") ||
		asciiEqualFold(name, "expect")
}

// isFastHopField is isHopHeader of a header name in any case.
func isFastHopField(name []byte) bool {
	switch len(name) {
	case 2:
		return asciiEqualFold(name, "te")
	case 7:
		return asciiEqualFold(name, "upgrade") || asciiEqualFold(name, "trailer")
	case 10:
		return asciiEqualFold(name, "connection") || asciiEqualFold(name, "keep-alive")
	case 16:
		return asciiEqualFold(name, "proxy-connection")
	case 17:
		return asciiEqualFold(name, "transfer-encoding")
	case 18:
		return asciiEqualFold(name, "proxy-authenticate")
	case 19:
		return asciiEqualFold(name, "proxy-authorization")
	}
	return false
}

// appendFields appends the fields of head (after its first line) but
// those drop names, their values trimmed.
func appendFields(out, head []byte, drop func(name []byte) bool) []byte {
	lines := head[bytes.IndexByte(head, '\n')+1:]
	for len(lines) > 0 {
		nl := bytes.IndexByte(lines, '\n')
		name, value, _ := splitField(lines[:nl+1])
		lines = lines[nl+1:]
		if drop(name) {
			continue
		}
		out = append(out, name...)
		out = append(out, ": "...)
		out = append(out, value...)
		out = append(out, "\r\n"...)
	}
	return out
}

// appendForwardedRequest appends the request r as the router sends it to
// host: what writeHead writes for the same request.
func appendForwardedRequest(out []byte, r *fastRequest, host, clientIP string, path []byte, prefix string, body []byte) []byte {
	out = append(out, r.method...)
	out = append(out, ' ')
	if len(path) == 0 {
		out = append(out, '/')
	} else {
		out = append(out, path...)
	}
	if len(r.query) > 0 {
		if q := cleanQuery(string(r.query)); q != "" {
			out = append(out, '?')
			out = append(out, q...)
		}
	}
	out = append(out, " HTTP/1.1\r\nHost: "...)
	out = append(out, host...)
	out = append(out, "\r\n"...)
	out = appendFields(out, r.head, dropFastRequestField)
	if clientIP != "" {
		out = append(out, "X-Forwarded-For: "...)
		out = append(out, clientIP...)
		out = append(out, "\r\n"...)
	}
	out = append(out, "X-Forwarded-Host: "...)
	out = append(out, r.host...)
	out = append(out, "\r\nX-Forwarded-Proto: http\r\n"...)
	if prefix != "" {
		out = append(out, "X-Forwarded-Prefix: "...)
		out = append(out, prefix...)
		out = append(out, "\r\n"...)
	}
	if r.teTrailers {
		out = append(out, "Te: trailers\r\n"...)
	}
	if len(body) > 0 || string(r.method) == http.MethodPost || string(r.method) == http.MethodPut || string(r.method) == http.MethodPatch {
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, int64(len(body)), 10)
		out = append(out, "\r\n"...)
	}
	out = append(out, "\r\n"...)
	return append(out, body...)
}

// fastResponse is a response head the loop relays itself: HTTP/1.1, a
// status from 200 to 599 but 204 and 304, a Content-Length and nothing
// that needs the server loop (codings, trailers, upgrades).
type fastResponse struct {
	head    []byte // status line and fields, each ending in CRLF
	headLen int    // with the blank line
	status  int
	length  int64
	close   bool // Connection: close: the connection carries no other request
	hasDate bool
}

// parseFastResponse parses the response head at the start of b.
func parseFastResponse(b []byte, r *fastResponse) int {
	end, res := findHead(b)
	if res != fastOK {
		return res
	}
	*r = fastResponse{head: b[:end+2], headLen: end + 4, length: -1}
	nl := bytes.IndexByte(r.head, '\n')
	line := r.head[:nl+1]
	if len(line) < 14 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) || line[len(line)-2] != '\r' {
		return fastHandOff
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return fastHandOff
		}
	}
	r.status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	if r.status < 200 || r.status > 599 || r.status == http.StatusNoContent || r.status == http.StatusNotModified {
		return fastHandOff
	}
	if reason := line[12 : len(line)-2]; len(reason) > 0 {
		if reason[0] != ' ' {
			return fastHandOff
		}
		for _, c := range reason {
			if (c < ' ' && c != '\t') || c == 0x7f {
				return fastHandOff
			}
		}
	}
	for rest := r.head[nl+1:]; len(rest) > 0; {
		nl := bytes.IndexByte(rest, '\n')
		name, value, ok := splitField(rest[:nl+1])
		if !ok {
			return fastHandOff
		}
		rest = rest[nl+1:]
		switch {
		case asciiEqualFold(name, "content-length"):
			n, ok := parseLength(value, 1<<50)
			if !ok || r.length >= 0 {
				return fastHandOff
			}
			r.length = int64(n)
		case asciiEqualFold(name, "connection"):
			close, ok := connectionTokens(value)
			if !ok {
				return fastHandOff
			}
			r.close = r.close || close
		case asciiEqualFold(name, "transfer-encoding"), asciiEqualFold(name, "trailer"), asciiEqualFold(name, "upgrade"):
			return fastHandOff
		case asciiEqualFold(name, "date"):
			r.hasDate = true
		}
	}
	if r.length < 0 {
		return fastHandOff
	}
	return fastOK
}

// appendClientResponse appends the head of r as the server loop writes it
// to a client: its own status line, the end-to-end fields, a Date when the
// server sent none, Connection: close when the connection ends.
func appendClientResponse(out []byte, r *fastResponse, close bool) []byte {
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(r.status), 10)
	out = append(out, ' ')
	out = append(out, statusText(r.status)...)
	out = append(out, "\r\n"...)
	out = appendFields(out, r.head, isFastHopField)
	if !r.hasDate {
		out = append(out, "Date: "...)
		out = append(out, httpDate()...)
		out = append(out, "\r\n"...)
	}
	if close {
		out = append(out, "Connection: close\r\n"...)
	}
	return append(out, "\r\n"...)
}

// unsafeString is b as a string without a copy, for lookups that keep
// nothing of it: b must not change while the string is in use.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
