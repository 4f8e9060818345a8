package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
)

// DefaultKeepAlive is how often an idle event stream gets a comment, so
// that proxies and load balancers do not close it as dead.
const DefaultKeepAlive = 15 * time.Second

// events serves GET /v1/events: a server-sent-events stream of the
// events the query asks for, each with its id, from the event log that
// every replica writes to. A client that reconnects with Last-Event-ID
// (or ?last_event_id=, for clients that cannot set headers) resumes after
// it. The stream ends when the client goes, when the server shuts down,
// or after a stream.dropped event when the client reads too slowly.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := dispatch.SubscribeOptions{After: r.Header.Get("Last-Event-ID"), TechnicianID: q.Get("technician_id"), Buffer: s.opts.EventBuffer}
	if opts.After == "" {
		opts.After = q.Get("last_event_id")
	}
	for _, t := range strings.Split(q.Get("types"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			opts.Types = append(opts.Types, model.EventType(t))
		}
	}
	sub, err := s.svc.Subscribe(r.Context(), opts, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	// No body comes: the read deadline would otherwise end the stream
	// (net/http cancels a request whose connection's read times out).
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not hold events back
	w.WriteHeader(http.StatusOK)
	// write sends one frame, with a deadline of its own: a client that
	// stops reading is cut off after WriteTimeout, never held forever.
	write := func(frame []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
		if _, err := w.Write(frame); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 2000\n\n")) {
		return
	}
	keepAlive := time.NewTicker(s.opts.EventKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				return
			}
			frame, err := sseFrame(e)
			if err != nil {
				s.log.ErrorContext(r.Context(), "encoding an event", "id", e.ID, "err", err)
				continue
			}
			if !write(frame) {
				return
			}
		case <-keepAlive.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		case <-s.closing:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// sseFrame is one event as the stream sends it: its id (stream notices
// have none, so that a client's Last-Event-ID stays the last real event),
// its type, and its JSON on one data line.
func sseFrame(e model.Event) ([]byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if e.ID != "" {
		b.WriteString("id: " + e.ID + "\n")
	}
	b.WriteString("event: " + string(e.Type) + "\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes(), nil
}
