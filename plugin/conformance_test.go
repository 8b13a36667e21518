package plugin

import (
	"os"
	"path/filepath"
	"testing"
)

// conformance holds the offline port of the network-policy-api v0.3.0
// ClusterNetworkPolicy conformance scenarios: world.yaml (the namespaces and
// pods) and one directory per policy state, each with its policies and the
// upstream assertions of that state in expectations.yaml, plus, in with/,
// the namespaces and pods whose labels the test patched for that state.
const conformance = "../testdata/conformance/"

func TestConformance(t *testing.T) {
	entries, err := os.ReadDir(conformance)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(conformance, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "expectations.yaml")); err != nil {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			args := []string{"test", filepath.Join(dir, "expectations.yaml"), "-f", conformance + "world.yaml", "-f", dir}
			// Objects the upstream test patched (namespace and pod labels)
			// replace those of world.yaml; -f DIR does not read
			// subdirectories without -R.
			if with := filepath.Join(dir, "with"); isDir(with) {
				args = append(args, "--with", with)
			}
			r := run(t, "", args...)
			if r.code != 0 {
				t.Errorf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
	if n == 0 {
		t.Fatal("no conformance scenarios found")
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
