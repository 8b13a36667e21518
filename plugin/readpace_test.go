package plugin

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestReadPace checks that reading runs the collector at GOGC=200 and sets
// the pace back after, and that a GOGC the user set is left alone.
func TestReadPace(t *testing.T) {
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	restore := readPace()
	if got := debug.SetGCPercent(200); got != 200 {
		t.Errorf("while reading, GOGC is %d, want 200", got)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after reading, GOGC is %d, want 100 back", got)
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	restore = readPace()
	if got := debug.SetGCPercent(50); got != 50 {
		t.Errorf("with GOGC=50 set, reading runs at %d", got)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("with GOGC=50 set, after reading GOGC is %d", got)
	}
}
