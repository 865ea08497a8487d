package emu

import (
	"fmt"
	"maps"
	"sync"
	"time"
)

// Window is one rate-limit window: at most Max units per Period. Rolling
// windows count the last Period (in 100 buckets); fixed windows reset at
// multiples of Period.
type Window struct {
	// Max is the budget per period; 0 means unlimited.
	Max int `json:"max"`
	// PeriodMS is the period in milliseconds.
	PeriodMS int64 `json:"period_ms"`
	// Rolling selects a rolling window rather than a fixed one.
	Rolling bool `json:"rolling"`
}

// Period is the window's period as a duration.
func (w Window) Period() time.Duration { return time.Duration(w.PeriodMS) * time.Millisecond }

// Usage is one window's state for one key after a Take or Peek.
type Usage struct {
	// Window is the window's name.
	Window string
	// Max is the window's budget (0 = unlimited).
	Max int
	// Used is what has been counted in the current window.
	Used int
	// Remaining is Max-Used, never below 0.
	Remaining int
	// Period is the window's period.
	Period time.Duration
	// ResetIn is how long until budget frees up (rolling) or the window resets (fixed).
	ResetIn time.Duration
}

// Decision is the result of Limits.Take.
type Decision struct {
	// Allowed is false when a window had no budget left; nothing was counted then.
	Allowed bool
	// Usages are the windows' states, in the order the names were given.
	Usages []Usage
	// Denied is the first window without budget, when not Allowed.
	Denied *Usage
}

// Limits is a set of named rate-limit windows with per-key counters (key:
// account, token, company — whatever the CRM meters by). When disabled,
// usage is still counted (for the stats) but nothing is denied and the
// headers show the whole allowance left, as an unlimited account's would.
type Limits struct {
	clock *Clock
	stats *Stats

	mu       sync.Mutex
	disabled bool
	windows  map[string]Window
	counters map[string]*counter // name + "\x00" + key
}

// NewLimits returns an empty set of windows.
func NewLimits(clock *Clock, stats *Stats) *Limits {
	return &Limits{clock: clock, stats: stats, windows: map[string]Window{}, counters: map[string]*counter{}}
}

// Define adds (or replaces) a window; CRMs call it from their Seed.
func (l *Limits) Define(name string, w Window) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows[name] = w
	l.clearCountersLocked(name)
}

// Set changes the numbers of a defined window (from the control API) and
// clears its counters.
func (l *Limits) Set(name string, w Window) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.windows[name]; !ok {
		return fmt.Errorf("set rate limit %q: %w", name, ErrNotFound)
	}
	if w.Max < 0 || w.PeriodMS <= 0 {
		return fmt.Errorf("set rate limit %q: max must be >= 0 and period_ms > 0", name)
	}
	l.windows[name] = w
	l.clearCountersLocked(name)
	return nil
}

func (l *Limits) clearCountersLocked(name string) {
	for k := range l.counters {
		if len(k) > len(name) && k[:len(name)] == name && k[len(name)] == 0 {
			delete(l.counters, k)
		}
	}
}

// Windows returns the defined windows by name.
func (l *Limits) Windows() map[string]Window {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.windows)
}

// SetDisabled turns denial off (true) or on.
func (l *Limits) SetDisabled(off bool) {
	l.mu.Lock()
	l.disabled = off
	l.mu.Unlock()
}

// Disabled reports whether denial is off.
func (l *Limits) Disabled() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.disabled
}

// Reset removes every window and counter (Seed defines them again).
func (l *Limits) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows = map[string]Window{}
	l.counters = map[string]*counter{}
}

// Take counts cost units for key in each named window. If any window lacks
// budget (and limits are not disabled), nothing is counted, Allowed is
// false and the CRM's throttled counter goes up. Unknown names are ignored.
func (l *Limits) Take(key string, cost int, names ...string) Decision {
	return l.take(key, cost, true, names)
}

// Peek reports the windows' state for key without counting anything.
func (l *Limits) Peek(key string, names ...string) Decision {
	return l.take(key, 0, false, names)
}

func (l *Limits) take(key string, cost int, count bool, names []string) Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	d := Decision{Allowed: true}
	ctrs := make([]*counter, 0, len(names))
	for _, name := range names {
		w, ok := l.windows[name]
		if !ok {
			continue
		}
		ck := name + "\x00" + key
		c := l.counters[ck]
		if c == nil {
			c = newCounter(w)
			l.counters[ck] = c
		}
		ctrs = append(ctrs, c)
		used := c.used(now)
		u := Usage{Window: name, Max: w.Max, Used: used, Period: w.Period(), ResetIn: c.resetIn(now)}
		if count && w.Max > 0 && used+cost > w.Max && !l.disabled && d.Allowed {
			d.Allowed = false
			denied := u
			denied.Remaining = max(0, w.Max-used)
			d.Denied = &denied
		}
		d.Usages = append(d.Usages, u)
	}
	if count && d.Allowed {
		for i, c := range ctrs {
			c.add(now, cost)
			d.Usages[i].Used += cost
			d.Usages[i].ResetIn = c.resetIn(now)
		}
	}
	for i := range d.Usages {
		switch {
		case l.disabled:
			// An unlimited account: the headers never tell a client to
			// slow down, though usage is still counted for the stats.
			d.Usages[i].Remaining = d.Usages[i].Max
		case d.Usages[i].Max > 0:
			d.Usages[i].Remaining = max(0, d.Usages[i].Max-d.Usages[i].Used)
		}
	}
	if !d.Allowed && l.stats != nil {
		l.stats.throttled.Add(1)
	}
	return d
}

type bucket struct {
	idx   int64
	count int
}

type counter struct {
	unit    time.Duration
	buckets []bucket
}

func newCounter(w Window) *counter {
	n := 1
	unit := w.Period()
	if w.Rolling {
		n = 100
		unit = max(w.Period()/100, time.Millisecond)
	}
	if unit <= 0 {
		unit = time.Second
	}
	c := &counter{unit: unit, buckets: make([]bucket, n)}
	for i := range c.buckets {
		c.buckets[i].idx = -1
	}
	return c
}

func (c *counter) cur(now time.Time) int64 { return now.UnixNano() / int64(c.unit) }

func (c *counter) used(now time.Time) int {
	cur, n := c.cur(now), int64(len(c.buckets))
	sum := 0
	for _, b := range c.buckets {
		if b.idx > cur-n && b.idx <= cur {
			sum += b.count
		}
	}
	return sum
}

func (c *counter) add(now time.Time, cost int) {
	cur := c.cur(now)
	b := &c.buckets[cur%int64(len(c.buckets))]
	if b.idx != cur {
		*b = bucket{idx: cur}
	}
	b.count += cost
}

// resetIn is when the oldest counted bucket leaves the window.
func (c *counter) resetIn(now time.Time) time.Duration {
	cur, n := c.cur(now), int64(len(c.buckets))
	oldest := cur
	for _, b := range c.buckets {
		if b.count > 0 && b.idx > cur-n && b.idx < oldest {
			oldest = b.idx
		}
	}
	end := time.Unix(0, (oldest+n)*int64(c.unit))
	return end.Sub(now)
}
