//go:build unix

package load

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestSpecialFilesInDirectoriesAreSkipped(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": namespaceA})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Skipf("cannot make a named pipe: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "pipe.yaml"), filepath.Join(dir, "link-to-pipe.yml")); err != nil {
		t.Fatal(err)
	}
	ids, warnings, err := readPaths(t, false, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != "namespace a" {
		t.Errorf("read %q, want namespace a", ids)
	}
	for _, want := range []string{
		"Warning: skipping " + filepath.Join(dir, "pipe.yaml") + ": a named pipe, not a regular file\n",
		"Warning: skipping " + filepath.Join(dir, "link-to-pipe.yml") + ": a named pipe, not a regular file\n",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings %q lack %q", warnings, want)
		}
	}
}
