package load

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const namespaceA = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"

// readPaths reads the manifests of paths, failing the test after a while:
// a read that hangs is the bug some of these tests pin.
func readPaths(t *testing.T, recursive bool, paths ...string) (ids []string, warnings string, err error) {
	t.Helper()
	type result struct {
		ids      []string
		warnings string
		err      error
	}
	done := make(chan result, 1)
	go func() {
		var warn strings.Builder
		objs, err := Manifests(Source{Filenames: paths, Recursive: recursive, Namespace: "default"}, &warn)
		var r result
		for _, o := range objs {
			r.ids = append(r.ids, describe(o.GetObjectKind().GroupVersionKind().Kind, "", o.(interface{ GetName() string }).GetName()))
		}
		r.warnings, r.err = warn.String(), err
		done <- r
	}()
	select {
	case r := <-done:
		return r.ids, r.warnings, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("reading %q did not end", paths)
	}
	return nil, "", nil
}

func TestEachFileIsReadOnce(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": namespaceA, "sub/b.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n"})
	for _, tc := range []struct {
		name      string
		paths     []string
		recursive bool
		want      []string
	}{
		{"a file given twice", []string{dir + "/a.yaml", dir + "/a.yaml"}, false, []string{"namespace a"}},
		{"a directory and a file in it", []string{dir, dir + "/a.yaml"}, false, []string{"namespace a"}},
		{"a file and its directory", []string{dir + "/a.yaml", dir + "/"}, false, []string{"namespace a"}},
		{"a file by two spellings", []string{dir + "/a.yaml", dir + "/sub/../a.yaml"}, false, []string{"namespace a"}},
		{"a directory and a subdirectory, recursively", []string{dir, dir + "/sub"}, true, []string{"namespace a", "namespace b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, _, err := readPaths(t, tc.recursive, tc.paths...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPathWithoutObjectsIsAnError(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"full/a.yaml":       namespaceA,
		"empty.yaml":        "# nothing yet\n",
		"emptylist.json":    `{"apiVersion":"v1","kind":"List","items":[]}`,
		"nested/sub/a.yaml": namespaceA,
		"other/notes.txt":   "x",
		"other/README.md":   "x",
		"skipped/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	})
	if err := os.Mkdir(filepath.Join(dir, "void"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		paths     []string
		recursive bool
		want      string
	}{
		{name: "an empty directory", paths: []string{dir + "/full", dir + "/void/"}, want: `no objects read from "DIR/void/": the directory holds no .yaml, .yml or .json files (-R reads its subdirectories)`},
		{name: "a directory of other files", paths: []string{dir + "/other"}, want: `no objects read from "DIR/other": the directory holds no .yaml, .yml or .json files (-R reads its subdirectories)`},
		{name: "a directory whose manifests are in subdirectories", paths: []string{dir + "/nested"}, want: `no objects read from "DIR/nested": the directory holds no .yaml, .yml or .json files (-R reads its subdirectories)`},
		{name: "an empty directory, recursively", paths: []string{dir + "/void"}, recursive: true, want: `no objects read from "DIR/void": the directory and its subdirectories hold no .yaml, .yml or .json files`},
		{name: "a file of comments", paths: []string{dir + "/full", dir + "/empty.yaml"}, want: `no objects read from "DIR/empty.yaml"`},
		{name: "an empty List", paths: []string{dir + "/emptylist.json"}, want: `no objects read from "DIR/emptylist.json"`},
		{name: "a subdirectory, recursively", paths: []string{dir + "/nested"}, recursive: true},
		{name: "objects of kinds not read", paths: []string{dir + "/skipped"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readPaths(t, tc.recursive, tc.paths...)
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), dir, "DIR")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	_, err := Manifests(Source{Filenames: []string{"-"}, Stdin: strings.NewReader("---\n")}, io.Discard)
	if diff := cmp.Diff("no objects read from standard input", fmt.Sprint(err)); diff != "" {
		t.Errorf("empty standard input (-want +got):\n%s", diff)
	}
}
