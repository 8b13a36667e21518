//go:build unix

package load

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpecialFilesInDirectoriesAreSkipped(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": namespaceA})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Fatalf("cannot make a named pipe: %v", err)
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

func TestSymbolicLinksAreFollowed(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"real/a.yaml":     namespaceA,
		"real/sub/b.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
		"other/c.yaml":    "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n",
	})
	links := map[string]string{
		"link":                "real",
		"real/sub/up":         "..",
		"linked/c-link.yaml":  "../other/c.yaml",
		"linked/sub-dir":      "../real/sub",
		"broken/gone.yaml":    "nowhere.yaml",
		"broken/gone-txt":     "nowhere.txt",
		"broken/ok.yaml":      "../real/a.yaml",
		"filelink/a-too.yaml": "../real/a.yaml",
	}
	for name, target := range links {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name      string
		paths     []string
		recursive bool
		want      []string
		wantWarn  string
		wantErr   string
	}{
		{name: "a link to a directory, without a trailing slash", paths: []string{"link"}, want: []string{"namespace a"}},
		{name: "a link to a directory, recursively, with a link to its parent inside", paths: []string{"link"}, recursive: true, want: []string{"namespace a", "namespace b"}, wantWarn: "skipping DIR/link/sub/up: a link to a directory it is in"},
		{name: "links to a file and to a directory inside a directory", paths: []string{"linked"}, recursive: true, want: []string{"namespace c", "namespace b", "namespace a"}},
		{name: "a directory and a link to it are read once", paths: []string{"real", "link"}, want: []string{"namespace a"}},
		{name: "a file and a link to it are read once", paths: []string{"real/a.yaml", "filelink"}, want: []string{"namespace a"}},
		{name: "a broken link of a manifest name is an error", paths: []string{"broken"}, wantErr: "read DIR/broken/gone.yaml: stat DIR/broken/gone.yaml: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, p := range tc.paths {
				paths = append(paths, filepath.Join(dir, p))
			}
			ids, warnings, err := readPaths(t, tc.recursive, paths...)
			if tc.wantErr != "" {
				if err == nil || strings.ReplaceAll(err.Error(), dir, "DIR") != tc.wantErr {
					t.Fatalf("error %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if got := strings.ReplaceAll(warnings, dir, "DIR"); !strings.Contains(got, tc.wantWarn) {
				t.Errorf("warnings %q lack %q", got, tc.wantWarn)
			}
		})
	}
}

func TestDevicesAndPipesGivenDirectlyAreRead(t *testing.T) {
	// A device of zeros is refused at its first byte, not read to the limit.
	_, _, err := readPaths(t, false, "/dev/zero")
	if diff := cmp.Diff("/dev/zero is not a manifest: it holds a NUL byte (at byte 0), which YAML and JSON text never do", fmt.Sprint(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}

	pipe := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatalf("cannot make a named pipe: %v", err)
	}
	go func() {
		f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.WriteString(namespaceA)
	}()
	ids, _, err := readPaths(t, false, pipe)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"namespace a"}, ids); diff != "" {
		t.Errorf("objects read from a named pipe (-want +got):\n%s", diff)
	}
}
