package emu

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultConfig is the fault injection in force for one CRM (the JSON body of
// PUT /_sandbox/{crm}/faults). Zero fields inject nothing.
type FaultConfig struct {
	// LatencyMS delays every matching request before it is handled.
	LatencyMS int `json:"latency_ms,omitempty"`
	// LatencyJitterMS adds a random 0..LatencyJitterMS to the delay.
	LatencyJitterMS int `json:"latency_jitter_ms,omitempty"`
	// ErrorRate is the share (0..1) of matching requests answered with
	// ErrorStatus in the CRM's error body, without being handled.
	ErrorRate float64 `json:"error_rate,omitempty"`
	// ErrorStatus is the injected status (default 500; 503 is common).
	ErrorStatus int `json:"error_status,omitempty"`
	// DropAfterCommitRate is the share (0..1) of matching requests that are
	// handled (so writes commit) and then get no response: the connection is
	// closed, and the client sees a reset or EOF.
	DropAfterCommitRate float64 `json:"drop_after_commit_rate,omitempty"`
	// PathContains limits the faults to request paths containing it.
	PathContains string `json:"path_contains,omitempty"`
	// WritesOnly limits the faults to writes (any method but GET and
	// HEAD), so a lookup before the write does not absorb them.
	WritesOnly bool `json:"writes_only,omitempty"`
	// Remaining is how many more matching requests the faults apply to;
	// 0 means no limit. The config clears itself when it reaches 0.
	Remaining int `json:"remaining,omitempty"`
}

// FaultDecision is what Faults decided for one request.
type FaultDecision struct {
	// Delay to wait before handling.
	Delay time.Duration
	// ErrorStatus, when not 0, answers with that status instead of handling.
	ErrorStatus int
	// Drop handles the request and then closes the connection unanswered.
	Drop bool
}

// Faults holds the fault configuration of one CRM and a seeded random
// source, so a test's faults fall on the same requests every run.
type Faults struct {
	mu   sync.Mutex
	seed uint64
	cfg  *FaultConfig
	rng  *rand.Rand
}

// NewFaults returns Faults with nothing injected.
func NewFaults(seed uint64) *Faults {
	return &Faults{seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Set replaces the fault configuration and reseeds the random source.
func (f *Faults) Set(c FaultConfig) error {
	switch {
	case c.ErrorRate < 0 || c.ErrorRate > 1:
		return fmt.Errorf("set faults: error_rate %v not in 0..1", c.ErrorRate)
	case c.DropAfterCommitRate < 0 || c.DropAfterCommitRate > 1:
		return fmt.Errorf("set faults: drop_after_commit_rate %v not in 0..1", c.DropAfterCommitRate)
	case c.LatencyMS < 0 || c.LatencyJitterMS < 0 || c.Remaining < 0:
		return fmt.Errorf("set faults: negative latency_ms, latency_jitter_ms or remaining")
	case c.ErrorStatus != 0 && (c.ErrorStatus < 400 || c.ErrorStatus > 599):
		return fmt.Errorf("set faults: error_status %d is not an error status", c.ErrorStatus)
	}
	if c.ErrorStatus == 0 {
		c.ErrorStatus = http.StatusInternalServerError
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = &c
	f.rng = rand.New(rand.NewPCG(f.seed, f.seed^0x9e3779b97f4a7c15))
	return nil
}

// Get returns the configuration in force, if any.
func (f *Faults) Get() (FaultConfig, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg == nil {
		return FaultConfig{}, false
	}
	return *f.cfg, true
}

// Clear removes every fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.cfg = nil
	f.mu.Unlock()
}

// Decide draws the faults for one request.
func (f *Faults) Decide(r *http.Request) FaultDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	if c == nil || !strings.Contains(r.URL.Path, c.PathContains) {
		return FaultDecision{}
	}
	if c.WritesOnly && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		return FaultDecision{}
	}
	if c.Remaining > 0 {
		c.Remaining--
		if c.Remaining == 0 {
			f.cfg = nil
		}
	}
	var d FaultDecision
	d.Delay = time.Duration(c.LatencyMS) * time.Millisecond
	if c.LatencyJitterMS > 0 {
		d.Delay += time.Duration(f.rng.IntN(c.LatencyJitterMS+1)) * time.Millisecond
	}
	// Draw both every time so one rate does not shift the other's sequence.
	errDraw, dropDraw := f.rng.Float64(), f.rng.Float64()
	switch {
	case errDraw < c.ErrorRate:
		d.ErrorStatus = c.ErrorStatus
	case dropDraw < c.DropAfterCommitRate:
		d.Drop = true
	}
	return d
}
