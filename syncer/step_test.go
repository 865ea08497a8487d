package syncer_test

import (
	"testing"
	"time"

	"github.com/saleshive/crmsync/syncer"
)

// TestNextStep sizes a run's steps to about the target time at the last
// step's rate, never below 100 items nor above the configured most.
func TestNextStep(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		took   time.Duration
		target time.Duration
		most   int
		want   int
	}{
		{"FastCRMGrowsToMost", 1000, 60 * time.Millisecond, 2 * time.Second, 5000, 5000},
		{"RateLimitedHubSpot", 1000, 900 * time.Millisecond, 2 * time.Second, 5000, 2222},
		{"SlowCRMShrinks", 1000, 14 * time.Second, 2 * time.Second, 5000, 142},
		{"NeverBelowMinimum", 100, time.Minute, 2 * time.Second, 5000, 100},
		{"MostBelowMinimum", 10, time.Minute, 2 * time.Second, 50, 50},
		{"InstantStep", 1000, 0, 2 * time.Second, 5000, 5000},
		{"NanosecondStepDoesNotOverflow", 1 << 30, time.Nanosecond, time.Hour, 5000, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := syncer.NextStep(tt.n, tt.took, tt.target, tt.most); got != tt.want {
				t.Errorf("NextStep(%d, %v, %v, %d) = %d, want %d", tt.n, tt.took, tt.target, tt.most, got, tt.want)
			}
		})
	}
}
