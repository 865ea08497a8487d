package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/saleshive/crmsync"
)

// Request-body limits. A batch of 1,000 typical contacts is about 300 KB, so
// 8 MiB leaves room for large custom fields and activity bodies while keeping
// one request's memory bounded.
const (
	DefaultMaxBatchBytes  = 8 << 20
	DefaultMaxSingleBytes = 1 << 20
	// MaxBatchSize is the most records one batch request may carry.
	MaxBatchSize = 1000
)

// Config holds the services and settings a Server needs. The services are
// wired in by cmd/crmsync (normally all backed by one *store.DB).
type Config struct {
	Workspaces crmsync.WorkspaceService
	Contacts   crmsync.ContactService
	Activities crmsync.ActivityService

	// ReadyFunc reports whether the server can serve traffic (for example
	// a database ping); /readyz answers 503 while it returns an error.
	// Nil means always ready.
	ReadyFunc func(ctx context.Context) error

	// Logger receives one line per request and every internal error.
	// Nil discards logs.
	Logger *slog.Logger

	// MaxBatchBytes and MaxSingleBytes limit request bodies; zero means
	// DefaultMaxBatchBytes and DefaultMaxSingleBytes.
	MaxBatchBytes  int64
	MaxSingleBytes int64

	// The pages (sign-in, Integrations hub, CRM Connection Detail, Field
	// Mapping) and the connection API need the services below and the sync
	// engine. They are wired in by cmd/crmsync like the ones above.
	Sessions      crmsync.SessionService
	Connections   crmsync.ConnectionService
	FieldMappings crmsync.FieldMappingService
	Sync          crmsync.SyncService
	Engine        Engine

	// SecureCookies marks cookies Secure even when the request did not
	// arrive over TLS (behind a TLS-terminating proxy). Requests over TLS
	// always get Secure cookies.
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts; zero means DefaultSessionTTL.
	SessionTTL time.Duration
	// LivePollInterval is how often an open page re-reads its connection,
	// so updates made by other processes also arrive; zero means
	// DefaultLivePollInterval.
	LivePollInterval time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Server is crmsync's HTTP handler. Create it with NewServer.
type Server struct {
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	routes []string // every registered pattern, for the OpenAPI coverage test
	pages  *pageState
}

// NewServer returns a Server serving every route of routes.go.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if cfg.MaxSingleBytes <= 0 {
		cfg.MaxSingleBytes = DefaultMaxSingleBytes
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.LivePollInterval <= 0 {
		cfg.LivePollInterval = DefaultLivePollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), pages: newPageState()}
	s.registerRoutes()
	return s
}

// Routes returns every registered route pattern, such as
// "POST /api/v1/contacts/batch", in registration order.
func (s *Server) Routes() []string {
	return append([]string(nil), s.routes...)
}

// ServeHTTP logs the request and dispatches it to its handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	info := &requestInfo{}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	s.mux.ServeHTTP(rec, r)
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	if info.workspaceID != 0 {
		attrs = append(attrs, slog.Int64("workspace_id", info.workspaceID))
	}
	if info.records != 0 {
		attrs = append(attrs, slog.Int("records", info.records))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
}

// handle registers h for pattern and remembers the pattern.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, h)
}

// requestInfo carries what handlers learn about a request to the access log.
type requestInfo struct {
	workspaceID int64
	records     int
}

type requestInfoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// statusRecorder remembers the status and size of a response for the log.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	bytes   int64
	written bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.written {
		r.status, r.written = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.written = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (SSE).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.ReadyFunc != nil {
		if err := s.cfg.ReadyFunc(r.Context()); err != nil {
			s.log.Error("not ready", slog.String("error", err.Error()))
			writeJSON(w, http.StatusServiceUnavailable, statusBody{Status: "unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
}

type statusBody struct {
	Status string `json:"status"`
}
