package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func (h *Handler) createDeployment(w http.ResponseWriter, r *http.Request) error {
	projectID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in admin.NewDeployment
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	d, err := h.a.CreateDeployment(r.Context(), projectID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/deployments/"+d.ID)
	WriteJSON(w, http.StatusCreated, d)
	return nil
}

// writeBuild answers a queued build: 202, with its location.
func writeBuild(w http.ResponseWriter, b *admin.Build) {
	w.Header().Set("Location", "/v1/builds/"+b.ID)
	WriteJSON(w, http.StatusAccepted, b)
}

func (h *Handler) deploy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.decodeNone(w, r); err != nil {
		return err
	}
	b, err := h.a.Deploy(r.Context(), id)
	if err != nil {
		return err
	}
	writeBuild(w, b)
	return nil
}

// buildRequest is the body of POST /v1/deployments/{id}/rollback and
// /promote.
type buildRequest struct {
	// BuildID is the successful build to deploy again: an earlier one of
	// the deployment (rollback), or one of another deployment of the
	// project (promote).
	BuildID string `json:"buildId"`
}

// redeploy is the handler of a route that deploys an existing build's
// artifact again with deploy (Admin.Rollback, Admin.Promote).
func (h *Handler) redeploy(deploy func(ctx context.Context, deploymentID, buildID string) (*admin.Build, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in buildRequest
		if err := h.decode(w, r, &in); err != nil {
			return err
		}
		if err := checkID("buildId", in.BuildID); err != nil {
			return err
		}
		b, err := deploy(r.Context(), id, in.BuildID)
		if err != nil {
			return err
		}
		writeBuild(w, b)
		return nil
	}
}

func (h *Handler) stopDeployment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.decodeNone(w, r); err != nil {
		return err
	}
	if err := h.a.StopDeployment(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) cancelBuild(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.decodeNone(w, r); err != nil {
		return err
	}
	if err := h.a.CancelBuild(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// fromParam reads the "from" query parameter: the first log line (Seq) to
// send; default 0.
func fromParam(q url.Values) (int64, error) {
	s := q.Get("from")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("from", "from must be a line number (an integer from 0)")
	}
	return n, nil
}

// buildLogs streams a build's log from line ?from= on: as text (the
// build.log form, one line each) or, with ?format=ndjson or Accept:
// application/x-ndjson, one JSON LogLine per line. A finished build's log
// comes whole; a running build's is followed, each line flushed as it
// comes, until the build ends.
func (h *Handler) buildLogs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := params(r, "from", "format")
	if err != nil {
		return err
	}
	from, err := fromParam(q)
	if err != nil {
		return err
	}
	ndjson := strings.Contains(r.Header.Get("Accept"), "application/x-ndjson")
	switch q.Get("format") {
	case "":
	case "text":
		ndjson = false
	case "ndjson":
		ndjson = true
	default:
		return badRequest("format", "format must be text or ndjson")
	}
	b, err := h.a.GetBuild(r.Context(), id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	live := !b.Status.Terminal()
	var lines iter.Seq2[admin.LogLine, error]
	var grace <-chan time.Time
	if h.logEnds(b, &grace) {
		lines = func(func(admin.LogLine, error) bool) {} // it never started: no log
	} else if lines, err = h.a.FollowBuildLogs(ctx, id, from); err != nil {
		return err
	}
	// A build that ends without ever starting never finishes its log:
	// stop following it then (see logEnds).
	_, updates, unsubscribe := h.subscribe(&buildState{build: b})
	defer unsubscribe()
	go func() {
		for cur := b; !h.logEnds(cur, &grace); {
			select {
			case <-ctx.Done():
				return
			case st := <-updates:
				cur = nil // deleted
				if st != nil {
					cur = st.build
				}
			case <-grace:
				cancel()
				return
			}
		}
		cancel()
	}()
	if ndjson {
		w.Header().Set("Content-Type", "application/x-ndjson")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush() // the status reaches the client before the first line
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	for l, err := range lines {
		if err != nil {
			// The response has started: the error can only end it.
			h.log.WarnContext(r.Context(), "build log stream failed", "build", id, "requestId", info(r).id, "err", err)
			break
		}
		if ndjson {
			err = enc.Encode(l)
		} else {
			_, err = bw.WriteString(admin.FormatLogLine(l) + "\n")
		}
		if err == nil && live {
			if err = bw.Flush(); err == nil {
				err = rc.Flush()
			}
		}
		if err != nil {
			return nil // the client went away
		}
	}
	_ = bw.Flush()
	return nil
}
