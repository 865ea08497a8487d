package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves GET /metrics from reg and passes every other request to
// next (the web server, which answers /healthz and /readyz itself). With
// next nil — a worker — it answers /healthz, and /readyz from ready, and
// nothing else.
func Handler(next http.Handler, reg *prometheus.Registry, ready func(context.Context) error, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	if next != nil {
		mux.Handle("/", next)
		return mux
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeStatus(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			if err := ready(r.Context()); err != nil {
				log.Error("not ready", slog.String("error", err.Error()))
				writeStatus(w, http.StatusServiceUnavailable, "unavailable")
				return
			}
		}
		writeStatus(w, http.StatusOK, "ok")
	})
	return mux
}

// writeStatus writes {"status": s}, the body the web server's probes use.
func writeStatus(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": s})
}

// HTTPServer is one listener served in the background.
type HTTPServer struct {
	srv  *http.Server
	ln   net.Listener
	errc chan error
}

// Listen listens on addr ("127.0.0.1:0" picks a free port).
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves h on ln in the background until Shutdown.
func Serve(ln net.Listener, h http.Handler, log *slog.Logger) *HTTPServer {
	s := &HTTPServer{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       2 * time.Minute,
			WriteTimeout:      2 * time.Minute,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		ln:   ln,
		errc: make(chan error, 1),
	}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s
}

// URL is the server's base URL, http://host:port.
func (s *HTTPServer) URL() string { return "http://" + s.ln.Addr().String() }

// Addr is the address the server listens on.
func (s *HTTPServer) Addr() string { return s.ln.Addr().String() }

// Err delivers the error that stopped the server, if it stops on its own.
func (s *HTTPServer) Err() <-chan error { return s.errc }

// Shutdown stops accepting and waits for in-flight requests until ctx ends.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown %s: %w", s.Addr(), err)
	}
	return nil
}

// Closers tears down what a process started, in reverse order of start.
type Closers []func(context.Context) error

// Add registers f to run at Close.
func (c *Closers) Add(f func(context.Context) error) { *c = append(*c, f) }

// Close runs every registered function, last first, and joins their errors.
func (c Closers) Close(ctx context.Context) error {
	var errs []error
	for i := len(c) - 1; i >= 0; i-- {
		errs = append(errs, c[i](ctx))
	}
	return errors.Join(errs...)
}
