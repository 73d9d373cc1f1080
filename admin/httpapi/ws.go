package httpapi

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Message types sent over the build-log WebSocket, one JSON object per text
// message.
const (
	// MessageStatus carries the build ("build") and its deployment
	// ("deployment") when the build's status changes, and once first.
	MessageStatus = "status"
	// MessageLog carries one log line, flattened: seq, time, phase, stream,
	// text, dropped. A client that reconnects with ?from=lastSeq+1 resumes
	// without gaps or duplicates.
	MessageLog = "log"
	// MessageEnd is the last message: the build ("build") has ended and its
	// whole log was sent; "deployment" is its deployment then (running at
	// its public URL after a successful deploy). A normal closure (1000)
	// follows.
	MessageEnd = "end"
	// MessageError is the last message when the stream fails ("error",
	// shaped as error responses are); closure 1011 follows.
	MessageError = "error"
)

// WebSocket close reasons.
const (
	closeTooSlow  = "too slow"
	closeEnded    = "build ended"
	closeShutdown = "server shutting down"
	pingInterval  = 30 * time.Second
)

// StreamMessage is one message of the build-log WebSocket.
type StreamMessage struct {
	Type string `json:"type"`
	*admin.LogLine
	Build *admin.Build `json:"build,omitempty"`
	// Deployment is the build's deployment as read with Build: the
	// deployment's status events travel with the build's.
	Deployment *admin.Deployment `json:"deployment,omitempty"`
	Error      *ErrorBody        `json:"error,omitempty"`
}

// outMsg is a message waiting to be written; last ones close the stream.
type outMsg struct {
	data   []byte
	last   bool
	code   websocket.StatusCode
	reason string
}

// buildLogsWS streams a build's log lines from ?from= on, live, with its
// status changes and a final message, over a WebSocket. Errors found before
// the upgrade (authentication, permission, unknown build) are ordinary JSON
// error responses.
func (h *Handler) buildLogsWS(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := params(r, "from", "access_token")
	if err != nil {
		return err
	}
	from, err := fromParam(q)
	if err != nil {
		return err
	}
	b, err := h.a.GetBuild(r.Context(), id)
	if err != nil {
		return err
	}
	d, err := h.a.GetDeployment(r.Context(), b.DeploymentID)
	if err != nil {
		return err
	}
	if err := h.canUpgrade(w, r, "GET /v1/builds/{id}/logs serves plain HTTP"); err != nil {
		return err
	}
	// The stream outlives nothing of the request but its values (the
	// principal): the hijacked request's context must not be relied on.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	defer context.AfterFunc(h.closing, cancel)()
	lines, err := h.a.FollowBuildLogs(ctx, id, from)
	if err != nil {
		return err
	}
	c := h.upgrade(w, r)
	if c == nil {
		return nil
	}
	h.streams.Add(1)
	defer h.streams.Done()
	s := &stream{h: h, c: c, state: &buildState{build: b, dep: d}, requestID: info(r).id,
		sendq: make(chan outMsg, h.wsBuffer), overflow: make(chan struct{})}
	s.run(ctx, cancel, lines)
	return nil
}

// canUpgrade refuses a request that is not a WebSocket upgrade (426,
// saying what plain serves instead) or comes from an origin that may not
// open WebSockets.
func (h *Handler) canUpgrade(w http.ResponseWriter, r *http.Request, plain string) error {
	if !isWebSocketUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		return &Error{Status: http.StatusUpgradeRequired, Code: CodeInvalidArgument,
			Message: "this operation is a WebSocket: send a WebSocket upgrade request (" + plain + ")"}
	}
	if !h.cors.websocketOrigin(r) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: "origin " + clip(r.Header.Get("Origin")) + " may not open WebSockets on this API (see Options.AllowedOrigins)"}
	}
	return nil
}

// upgrade accepts the WebSocket (after canUpgrade); nil when the upgrade
// failed, which Accept has answered.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request) *websocket.Conn {
	// Upgrade on the ResponseWriter the server or framework gave us, not
	// on our recorder: websocket.Accept knows how to make writers that
	// defer the status line (gin's) send the 101 before the hijack.
	rec, _ := w.(*recorder)
	if rec != nil {
		w = rec.ResponseWriter
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       []string{Subprotocol},
		InsecureSkipVerify: true, // the origin was checked by canUpgrade
	})
	if err != nil {
		h.log.DebugContext(r.Context(), "websocket upgrade failed", "requestId", info(r).id, "err", err)
		if rec != nil {
			rec.status = http.StatusBadRequest // Accept answered, past the recorder
		}
		return nil
	}
	if rec != nil {
		rec.hijacked = true
	}
	return c
}

// stream is one WebSocket client following a build.
type stream struct {
	h         *Handler
	c         *websocket.Conn
	state     *buildState // as the stream began
	watch     *watch      // the build's, shared with its other followers
	requestID string
	ctx       context.Context // ends with the stream
	sendq     chan outMsg
	overflow  chan struct{}
	slowOnce  sync.Once
	// writeLimit closes the connection when a write outlasts the write
	// timeout: one timer per stream, reset for each message.
	writeLimit *time.Timer
}

// enqueue queues a message (see enqueueData).
func (s *stream) enqueue(m StreamMessage, last bool, code websocket.StatusCode, reason string) bool {
	data, err := json.Marshal(m)
	if err != nil {
		return s.enqueueError(err)
	}
	return s.enqueueData(data, last, code, reason)
}

// enqueueState queues the message of type typ (MessageStatus or
// MessageEnd) carrying st, encoded once for all the streams sending it.
func (s *stream) enqueueState(st *buildState, typ string, last bool, code websocket.StatusCode, reason string) bool {
	if st == nil {
		return s.enqueue(st.message(typ), last, code, reason)
	}
	data, err := st.encoded(typ)
	if err != nil {
		return s.enqueueError(err)
	}
	return s.enqueueData(data, last, code, reason)
}

// enqueueLine queues the log message of l, encoded once for all the
// build's followers.
func (s *stream) enqueueLine(l *admin.LogLine) bool {
	data, err := s.watch.lines.message(l, func() ([]byte, error) {
		lc := *l
		return json.Marshal(StreamMessage{Type: MessageLog, LogLine: &lc})
	})
	if err != nil {
		return s.enqueueError(err)
	}
	return s.enqueueData(data, false, 0, "")
}

// enqueueError queues the last message of a stream whose message could
// not be encoded.
func (s *stream) enqueueError(err error) bool {
	s.h.log.Error("encode websocket message", "build", s.state.build.ID, "requestId", s.requestID, "err", err)
	data, _ := json.Marshal(StreamMessage{Type: MessageError, Error: &ErrorBody{Code: CodeInternal, Message: "internal error"}})
	return s.enqueueData(data, true, websocket.StatusInternalError, "internal error")
}

// enqueueData queues an encoded message. When the queue is full it waits,
// but no longer than half the write timeout: a client whose queue stays
// full that long is too slow and is disconnected. Nothing but this client's
// own stream ever waits for it (each follower reads the log cache at its
// own pace).
func (s *stream) enqueueData(data []byte, last bool, code websocket.StatusCode, reason string) bool {
	msg := outMsg{data: data, last: last, code: code, reason: reason}
	select {
	case s.sendq <- msg:
		return true
	default:
	}
	t := time.NewTimer(s.h.writeTimeout / 2)
	defer t.Stop()
	select {
	case s.sendq <- msg:
		return true
	case <-s.ctx.Done():
		return false
	case <-t.C:
		s.slowOnce.Do(func() {
			s.h.log.Warn("websocket client too slow: disconnecting", "build", s.state.build.ID, "requestId", s.requestID,
				"buffer", cap(s.sendq))
			close(s.overflow)
		})
		return false
	}
}

func (s *stream) run(ctx context.Context, cancel context.CancelFunc, lines iter.Seq2[admin.LogLine, error]) {
	s.ctx = ctx
	s.writeLimit = time.AfterFunc(s.h.writeTimeout, func() { _ = s.c.CloseNow() })
	s.writeLimit.Stop()
	defer s.writeLimit.Stop()
	clientGone := s.c.CloseRead(context.Background())
	w, updates, unsubscribe := s.h.subscribe(s.state)
	defer unsubscribe()
	s.watch = w
	s.enqueueState(s.state, MessageStatus, false, 0, "")

	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		for l, err := range lines {
			if err != nil {
				if ctx.Err() == nil {
					s.h.log.WarnContext(ctx, "build log stream failed", "build", s.state.build.ID, "requestId", s.requestID, "err", err)
					_, body, _ := classify(err)
					body.Message = "reading the build log failed"
					s.enqueue(StreamMessage{Type: MessageError, Error: &body}, true, websocket.StatusInternalError, "log stream failed")
				}
				return
			}
			if !s.enqueueLine(&l) {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.track(ctx, updates, logsDone) }()
	go func() { defer wg.Done(); s.ping(ctx) }()
	s.write(clientGone)
	cancel()
	wg.Wait()
	<-logsDone
}

// track sends status changes and, once the build has ended and its log
// with it, the final message.
func (s *stream) track(ctx context.Context, updates <-chan *buildState, logsDone <-chan struct{}) {
	cur := s.state // nil once the build is deleted
	var grace <-chan time.Time
	for {
		var b *admin.Build
		if cur != nil {
			b = cur.build
		}
		logsEnded := logsDone == nil
		// Settled: CompletedAt is written last, after the deployment
		// took the build's outcome, so the end message reads both final.
		if s.h.logEnds(b, &grace) || logsEnded && b.Status.Terminal() && b.CompletedAt != nil {
			if b == nil {
				s.enqueue(StreamMessage{Type: MessageError, Error: &ErrorBody{Code: CodeNotFound,
					Message: "the build was deleted"}}, true, websocket.StatusNormalClosure, "build deleted")
				return
			}
			s.enqueueState(cur, MessageEnd, true, websocket.StatusNormalClosure, closeEnded)
			return
		}
		select {
		case <-ctx.Done():
			return
		case st := <-updates:
			if st != nil && b != nil && st.build.Status != b.Status {
				s.enqueueState(st, MessageStatus, false, 0, "")
			}
			cur = st
		case <-logsDone:
			logsDone = nil
		case <-grace:
			s.enqueueState(cur, MessageEnd, true, websocket.StatusNormalClosure, closeEnded)
			return
		}
	}
}

// ping keeps the connection alive through proxies that drop idle ones.
func (s *stream) ping(ctx context.Context) {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, s.h.writeTimeout)
			err := s.c.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				_ = s.c.CloseNow()
				return
			}
		}
	}
}

// write sends the queued messages in order until a last one, the client
// leaves, it falls too far behind, or the Handler closes.
func (s *stream) write(clientGone context.Context) {
	for {
		select { // a slow client is cut at once, whatever is queued
		case <-s.overflow:
			s.tooSlow()
			return
		default:
		}
		select {
		case <-s.overflow:
			s.tooSlow()
			return
		case <-clientGone.Done():
			_ = s.c.CloseNow()
			return
		case <-s.h.closing.Done():
			_ = s.c.Close(websocket.StatusGoingAway, closeShutdown)
			return
		case m := <-s.sendq:
			if !s.send(m.data) {
				_ = s.c.CloseNow()
				return
			}
			if m.last {
				_ = s.c.Close(m.code, m.reason)
				return
			}
		}
	}
}

// send writes one message within the write timeout.
func (s *stream) send(data []byte) bool {
	s.writeLimit.Reset(s.h.writeTimeout)
	err := s.c.Write(context.Background(), websocket.MessageText, data)
	return s.writeLimit.Stop() && err == nil
}

func (s *stream) tooSlow() {
	_ = s.c.Close(websocket.StatusPolicyViolation, closeTooSlow)
}
