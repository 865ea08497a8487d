package procstat

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestReadings(t *testing.T) {
	ResetPeakRSS()
	before := CPU()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	runtime.KeepAlive(buf)
	if CPU() <= before {
		t.Errorf("CPU did not grow while the test worked")
	}
	if peak := PeakRSS(); peak < 64<<20 {
		t.Errorf("PeakRSS = %d after touching 64 MiB, want at least that", peak)
	}
	// /proc/<pid>/stat counts in 10 ms ticks and per thread at their exits;
	// after 200 ms of work the two readings of this process agree to 100 ms.
	for start := CPU(); CPU()-start < 200*time.Millisecond; {
		for i := range buf {
			buf[i]++
		}
	}
	self, other := CPU(), ProcessCPU(os.Getpid())
	if other < 200*time.Millisecond || other > self+100*time.Millisecond || other < self-100*time.Millisecond {
		t.Errorf("ProcessCPU(self) = %v, CPU() = %v; want them within 100 ms", other, self)
	}
	if got := ProcessCPU(-1); got != 0 {
		t.Errorf("ProcessCPU(-1) = %v, want 0", got)
	}
}
