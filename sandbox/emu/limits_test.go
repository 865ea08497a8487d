package emu_test

import (
	"testing"
	"time"

	"github.com/saleshive/crmsync/sandbox/emu"
)

func TestLimits_Windows(t *testing.T) {
	t.Parallel()
	clock := emu.NewClock(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
	stats := &emu.Stats{}
	l := emu.NewLimits(clock, stats)
	l.Define("burst", emu.Window{Max: 3, PeriodMS: 2000, Rolling: true})
	l.Define("daily", emu.Window{Max: 5, PeriodMS: 86_400_000})

	take := func(cost int) emu.Decision { return l.Take("acct", cost, "burst", "daily") }
	if d := take(2); !d.Allowed || d.Usages[0].Remaining != 1 || d.Usages[1].Remaining != 3 {
		t.Fatalf("first take = %+v", d)
	}
	clock.Advance(1000 * time.Millisecond)
	if d := take(1); !d.Allowed || d.Usages[0].Remaining != 0 {
		t.Fatalf("second take = %+v", d)
	}
	d := take(1)
	if d.Allowed || d.Denied.Window != "burst" || d.Denied.ResetIn <= 0 || d.Denied.ResetIn > time.Second {
		t.Fatalf("over burst = %+v", d)
	}
	if other := l.Take("other-acct", 1, "burst"); !other.Allowed {
		t.Fatal("keys share a window")
	}
	// The rolling window frees the first two units 2 s after they were taken.
	clock.Advance(1000 * time.Millisecond)
	if d := take(2); !d.Allowed {
		t.Fatalf("after roll = %+v", d)
	}
	// The daily window is now full (5); it is fixed and resets at midnight.
	clock.Advance(5 * time.Second)
	if d := take(1); d.Allowed || d.Denied.Window != "daily" {
		t.Fatalf("daily = %+v", d)
	}
	if p := l.Peek("acct", "daily"); p.Usages[0].Used != 5 {
		t.Fatalf("peek = %+v", p)
	}
	l.SetDisabled(true)
	if d := take(1); !d.Allowed || d.Usages[1].Used != 6 {
		t.Fatalf("disabled still counts and allows = %+v", d)
	}
	l.SetDisabled(false)
	clock.Advance(24 * time.Hour)
	if d := take(1); !d.Allowed {
		t.Fatalf("next day = %+v", d)
	}
	if got := stats.Snapshot().Throttled; got != 2 {
		t.Fatalf("throttled = %d, want 2", got)
	}
	if err := l.Set("nope", emu.Window{Max: 1, PeriodMS: 1}); err == nil {
		t.Fatal("Set of an undefined window succeeded")
	}
	if err := l.Set("burst", emu.Window{Max: 1, PeriodMS: 1000}); err != nil || l.Windows()["burst"].Max != 1 {
		t.Fatalf("set = %v, %+v", err, l.Windows())
	}
}
