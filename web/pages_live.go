package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
)

// liveSections are the parts of the detail page that Server-Sent Events
// replace: each is a template "sec-<name>" whose root element has id
// "<name>".
var liveSections = []string{"guide", "status", "import", "health", "activity"}

// Live-update pacing: at most one render per liveMinGap however many
// updates arrive, and a comment line now and then so proxies keep the
// stream open.
const (
	liveMinGap    = 250 * time.Millisecond
	liveHeartbeat = 15 * time.Second
)

// liveMessage is the data of one "update" event: the HTML of each section
// that changed since the last event, by element id.
type liveMessage struct {
	Sections map[string]string `json:"sections"`
}

// handleConnectionEvents streams a connection's changes as Server-Sent
// Events. It wakes on the engine's hints and on a slow poll (so changes made
// by another process also arrive), re-renders the live sections and sends
// those that changed.
func (s *Server) handleConnectionEvents(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ctx := r.Context()
	conn, err := s.connectionFor(ctx, v.WorkspaceID(), r.PathValue("provider"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream outlives a server's write timeout
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return nil
	}
	_ = rc.Flush()

	updates, cancel := s.cfg.Engine.Subscribe()
	defer cancel()
	poll := time.NewTicker(s.cfg.LivePollInterval)
	defer poll.Stop()
	heartbeat := time.NewTicker(liveHeartbeat)
	defer heartbeat.Stop()
	var throttle <-chan time.Time
	// What the page already shows, so the first event carries only what
	// changed since it was rendered and never redraws (and resets) a
	// section the user is filling in.
	last := parseBaseline(r.URL.Query().Get("baseline"))
	var lastSent time.Time

	send := func() error {
		lastSent = time.Now()
		c, err := s.cfg.Connections.FindConnectionByID(ctx, v.WorkspaceID(), conn.ID)
		if err != nil {
			return err
		}
		snap, err := s.liveSnapshot(ctx, v, c)
		if err != nil {
			return err
		}
		msg := liveMessage{Sections: map[string]string{}}
		for sec, html := range snap {
			if h := hashSection(html); last[sec] != h {
				msg.Sections[sec], last[sec] = html, h
			}
		}
		if len(msg.Sections) == 0 {
			return nil
		}
		data, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: update\ndata: %s\n\n", data); err != nil {
			return err
		}
		return rc.Flush()
	}
	// The first event brings the page up to date with anything that changed
	// between rendering it and opening the stream.
	if err := send(); err != nil {
		return s.liveEnd(r, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, open := <-updates:
			if !open {
				updates = nil
				continue
			}
			if u.ConnectionID != conn.ID || throttle != nil {
				continue
			}
			if wait := liveMinGap - time.Since(lastSent); wait > 0 {
				throttle = time.After(wait)
				continue
			}
			if err := send(); err != nil {
				return s.liveEnd(r, err)
			}
		case <-throttle:
			throttle = nil
			if err := send(); err != nil {
				return s.liveEnd(r, err)
			}
		case <-poll.C:
			if err := send(); err != nil {
				return s.liveEnd(r, err)
			}
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}

// liveEnd ends a stream after a failure: the headers are gone, so the error
// can only be logged; the browser's EventSource reconnects by itself.
func (s *Server) liveEnd(r *http.Request, err error) error {
	if r.Context().Err() == nil && crmsync.ErrorCode(err) == crmsync.EINTERNAL {
		s.log.ErrorContext(r.Context(), "live updates", "path", r.URL.Path, "error", err.Error())
	}
	return nil
}

// liveSnapshot renders the live sections of a connection's page the way
// the event stream sends them (no flash, no inline errors), by id.
func (s *Server) liveSnapshot(ctx context.Context, v *viewer, c *crmsync.Connection) (map[string]string, error) {
	p, err := s.loadConnectionPage(ctx, v, c, false)
	if err != nil {
		return nil, err
	}
	p.layout = layout{Viewer: v, CSRF: v.Session.CSRFToken}
	out := make(map[string]string, len(liveSections))
	for _, sec := range liveSections {
		html, err := s.fragment("connection", "sec-"+sec, p)
		if err != nil {
			return nil, err
		}
		out[sec] = html
	}
	return out, nil
}

// liveBaseline is the "baseline" parameter of a page's event stream: the
// hash of each live section as the stream would render it now.
func (s *Server) liveBaseline(ctx context.Context, v *viewer, c *crmsync.Connection) (string, error) {
	snap, err := s.liveSnapshot(ctx, v, c)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(liveSections))
	for _, sec := range liveSections {
		parts = append(parts, sec+":"+hashSection(snap[sec]))
	}
	return strings.Join(parts, ","), nil
}

// parseBaseline reads a baseline parameter; anything malformed is ignored,
// which only makes the first event send more.
func parseBaseline(q string) map[string]string {
	last := map[string]string{}
	for _, part := range strings.Split(q, ",") {
		if sec, h, ok := strings.Cut(part, ":"); ok {
			last[sec] = h
		}
	}
	return last
}

// hashSection fingerprints a rendered section.
func hashSection(html string) string {
	sum := sha256.Sum256([]byte(html))
	return hex.EncodeToString(sum[:8])
}
