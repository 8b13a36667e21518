package plugin

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/internal/ptytest"
)

// fakeAPIServer serves an empty cluster with one namespace: every list is
// empty, and the cluster policy CRDs are not installed.
func fakeAPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/apis/policy.networking.k8s.io"):
			http.NotFound(w, r)
		case r.URL.Path == "/apis":
			_, _ = w.Write([]byte(`{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`))
		case r.URL.Path == "/api/v1/namespaces":
			_, _ = w.Write([]byte(`{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"default"}}]}`))
		default:
			_, _ = w.Write([]byte(`{"kind":"List","apiVersion":"v1","metadata":{},"items":[]}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestProgressLineOnANarrowTerminal reads a cluster with stderr on a
// terminal 40 columns wide: each update of the progress line fits in it
// and clears the rest of the line, the network plugin lookup updates the
// same line, and the warning that follows starts a line of its own.
func TestProgressLineOnANarrowTerminal(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "no-kubeconfig"))
	srv := fakeAPIServer(t)
	var code int
	stderr := ptytest.Output(t, 40, func(terminal *os.File) {
		streams, _, _, _ := genericiooptions.NewTestIOStreams()
		streams.ErrOut = terminal
		cmd := NewCmdNetpol(streams)
		cmd.SetArgs([]string{"audit", "--server", srv.URL})
		code = ExitCode(cmd.Execute())
	})
	if code != ExitNo {
		t.Errorf("exit %d, want %d (the unknown network plugin is a finding)\nstderr: %q", code, ExitNo, stderr)
	}
	lines := strings.Split(stderr, "\n")
	want := []string{"progress", "Warning: no known network plugin found", ""}
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d (one progress line, one warning):\n%q", len(lines), len(want), stderr)
	}
	updates := strings.Split(strings.TrimPrefix(lines[0], "\r"), "\r")
	if len(updates) < 10 {
		t.Errorf("%d progress updates, want one per list:\n%q", len(updates), lines[0])
	}
	for _, u := range updates {
		text, clears := strings.CutSuffix(u, "\x1b[K")
		if !clears || len(text) > 39 || !strings.HasPrefix(text, "read 1 namespaces") {
			t.Errorf("progress update %q: want \"read 1 namespaces...\" in at most 39 columns, then ESC[K", u)
		}
	}
	if !strings.HasPrefix(lines[1], want[1]) {
		t.Errorf("second line %q, want it to start with %q", lines[1], want[1])
	}
}
