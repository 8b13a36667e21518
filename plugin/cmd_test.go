package plugin

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// result is what one in-process run of kubectl netpol produced.
type result struct {
	stdout, stderr string
	code           int
}

// run executes the root command in-process, as main does, with no kubeconfig
// from the environment.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "no-kubeconfig"))
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(stdin)
	cmd := NewCmdNetpol(streams)
	cmd.SetArgs(args)
	err := cmd.Execute()
	code := ExitCode(err)
	if code == ExitError {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// golden compares got with testdata/golden/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./plugin -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// goldenName turns arguments into a file name: "api db:3306" -> "api_db-3306".
func goldenName(args ...string) string {
	r := strings.NewReplacer("/", "-", ":", "-", " ", "_", ">", "", "=", "-")
	return r.Replace(strings.Join(args, "_"))
}
