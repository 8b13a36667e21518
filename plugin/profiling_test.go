package plugin

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfileFlags: --profile writes a profile go tool pprof reads, of the
// kind asked, as kubectl's flag does; an unknown name is an error.
func TestProfileFlags(t *testing.T) {
	for _, name := range []string{"cpu", "heap", "allocs", "goroutine"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p.pprof")
			r := run(t, "", "can", "web", "db:5432", "-f", "../testdata/three-tier", "--profile", name, "--profile-output", out)
			if r.code == ExitError {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			// A pprof profile is a gzipped protocol buffer.
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not a profile: %v", err)
			}
			if raw, err := io.ReadAll(zr); err != nil || len(raw) == 0 {
				t.Fatalf("not a profile: %d bytes, %v", len(raw), err)
			}
		})
	}
	r := run(t, "", "can", "web", "db:5432", "-f", "../testdata/three-tier", "--profile", "bogus", "--profile-output", filepath.Join(t.TempDir(), "p"))
	if r.code != ExitError || !strings.Contains(r.stderr, `--profile: unknown profile "bogus"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
