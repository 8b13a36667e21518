package load

import (
	"strings"
	"testing"
	"time"
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
