package load

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// FuzzManifests checks that no manifest makes the loader or the snapshot
// builder panic: bad input is an error, never a crash.
func FuzzManifests(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/*/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}]}`))
	f.Add([]byte("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: n}\nspec: {podSelector: {matchExpressions: [{key: a, operator: In}]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Manifests(Source{Filenames: []string{"-"}, Stdin: bytes.NewReader(data), Namespace: "default"}, io.Discard)
		if err != nil {
			return
		}
		_, _ = query.NewSnapshot(objs, query.DefaultOptions())
	})
}
