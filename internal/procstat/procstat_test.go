package procstat

import (
	"runtime"
	"testing"
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
}
