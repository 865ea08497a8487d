// Package procstat reads this process's resource use for the benchmarks:
// CPU time and peak resident memory, which on a shared machine are steadier
// measures than wall time.
package procstat

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ResetPeakRSS resets the kernel's peak-RSS counter of this process
// (Linux: writing 5 to /proc/self/clear_refs), so that PeakRSS reports the
// peak of the code that runs next.
func ResetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// CPU returns the user plus system CPU time this process has used.
func CPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PeakRSS returns VmHWM, the process's peak resident set in bytes, or 0
// where /proc is not available.
func PeakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
