package load

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// readString reads one manifest from standard input.
func readString(t *testing.T, manifest string) (objs []runtime.Object, warnings string, err error) {
	t.Helper()
	var warn bytes.Buffer
	objs, err = Manifests(Source{Filenames: []string{"-"}, Stdin: strings.NewReader(manifest), Namespace: "default"}, &warn)
	return objs, warn.String(), err
}

// writeFiles writes files (name -> content) under a new directory and
// returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadCase is a manifest and what reading it must give: an error holding
// every one of wantErr, or else warnings holding every one of wantWarn.
type loadCase struct {
	name     string
	manifest string
	wantErr  []string
	wantWarn []string
}

func runLoadCases(t *testing.T, cases []loadCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, warnings, err := readString(t, tc.manifest)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("read %d objects and no error (warnings %q); want an error with %q", len(objs), warnings, tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not hold %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is more than one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, w := range tc.wantWarn {
				if !strings.Contains(warnings, w) {
					t.Errorf("warnings %q do not hold %q", warnings, w)
				}
			}
		})
	}
}
