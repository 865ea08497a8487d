package sandbox

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"

	"github.com/saleshive/crmsync/sandbox/emu"
)

// provider is one entry of the explicit CRM list: a name and its constructor.
type provider struct {
	name string
	new  func(emu.Config) emu.CRM
}

// crm adapts a CRM package's New (returning its own *CRM type) to a provider.
func crm[T emu.CRM](name string, newCRM func(emu.Config) T) provider {
	return provider{name: name, new: func(c emu.Config) emu.CRM { return newCRM(c) }}
}

// Config configures a Sandbox. The zero value serves every CRM with its
// documented defaults.
type Config struct {
	// Seed seeds every CRM's fault draws (default 1), so runs repeat.
	Seed uint64
	// Clock is shared by every CRM; nil means a new real-time clock, which
	// the control API can advance.
	Clock *emu.Clock
	// RateLimitsDisabled starts every CRM with rate limits off.
	RateLimitsDisabled bool
	// Only, when not empty, limits the sandbox to these CRM names.
	Only []string
	// Configure, when set, adjusts one CRM's emu.Config before it is built
	// (client id and secret, account name, users, token lifetime, rotation).
	Configure func(name string, cfg *emu.Config)
}

// Sandbox serves the emulated CRMs on one handler, each under "/{name}",
// plus the control API under "/_sandbox".
type Sandbox struct {
	clock *emu.Clock
	crms  map[string]emu.CRM
	names []string
	mux   *http.ServeMux
}

// New builds every listed CRM and the routes that serve them.
func New(cfg Config) *Sandbox {
	if cfg.Clock == nil {
		cfg.Clock = emu.NewClock(nil)
	}
	s := &Sandbox{clock: cfg.Clock, crms: map[string]emu.CRM{}, mux: http.NewServeMux()}
	for _, p := range providers {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, p.name) {
			continue
		}
		ec := emu.Config{Clock: cfg.Clock, Seed: cfg.Seed, RateLimitsDisabled: cfg.RateLimitsDisabled}
		if cfg.Configure != nil {
			cfg.Configure(p.name, &ec)
		}
		c := p.new(ec)
		if c.Name() != p.name {
			panic(fmt.Sprintf("sandbox: provider %q built a CRM named %q", p.name, c.Name()))
		}
		s.crms[p.name] = c
		s.names = append(s.names, p.name)
		s.mux.Handle("/"+p.name+"/", emu.Mount("/"+p.name, emu.Serve(c)))
	}
	s.routes()
	return s
}

// Handler serves the CRMs and the control API.
func (s *Sandbox) Handler() http.Handler { return s.mux }

// Names lists the served CRMs in list order.
func (s *Sandbox) Names() []string { return slices.Clone(s.names) }

// CRM returns one served CRM by name.
func (s *Sandbox) CRM(name string) (emu.CRM, bool) {
	c, ok := s.crms[name]
	return c, ok
}

// Clock is the clock every CRM reads.
func (s *Sandbox) Clock() *emu.Clock { return s.clock }

// Reset returns every CRM to its just-created state.
func (s *Sandbox) Reset() {
	for _, n := range s.names {
		s.crms[n].Env().Reset()
	}
}

// handleIndex lists the CRMs and their base URLs (what `crmsync sandbox` shows).
func (s *Sandbox) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexTmpl.Execute(w, s.Infos(emu.BaseURL(r)))
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crmsync CRM sandbox</title></head>
<body style="font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto">
<h1>crmsync CRM sandbox</h1><p>Local emulators of the CRMs' public APIs. Control API: <code>/_sandbox/</code>.</p>
<table><tr><th>CRM</th><th>Base URL</th><th>Client id</th><th>Account</th></tr>
{{range .}}<tr><td>{{.Title}}</td><td><code>{{.BaseURL}}</code></td><td><code>{{.ClientID}}</code></td><td>{{.AccountName}}</td></tr>{{end}}
</table></body></html>
`))
