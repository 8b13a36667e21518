package plugin

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TestRequestTimeout: every request to the cluster is bounded, by 30s
// unless --request-timeout says otherwise; 0 waits forever, as in kubectl.
func TestRequestTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want time.Duration
	}{
		{"no --request-timeout: 30s", nil, 30 * time.Second},
		{"--request-timeout is honoured", []string{"--request-timeout", "2s"}, 2 * time.Second},
		{"--request-timeout=0 waits forever, as kubectl does", []string{"--request-timeout=0"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := genericclioptions.NewConfigFlags(true)
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			cmd := NewCmdNetpolWithConfig(streams, cf)
			if err := cmd.PersistentFlags().Parse(append([]string{"--server", "http://127.0.0.1:1"}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			cfg, err := cf.ToRESTConfig()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, cfg.Timeout); diff != "" {
				t.Errorf("REST config timeout (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestTimeoutInHelp: the help of the global options says that
// requests give up, and after how long by default.
func TestRequestTimeoutInHelp(t *testing.T) {
	r := run(t, "", "options")
	_, line, _ := strings.Cut(r.stdout, "--request-timeout")
	line, _, _ = strings.Cut(line, "\n\n")
	for _, want := range []string{`='30s'`, "instead of hanging", "0 waits forever"} {
		if !strings.Contains(line, want) {
			t.Errorf("help of --request-timeout %q lacks %q", line, want)
		}
	}
}

// TestSilentServerTimesOut: a server that accepts connections and never
// answers fails the command (exit 2) with an error that names the request
// and the flag, instead of hanging it.
func TestSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn // never read, never answered, closed at the end
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	start := time.Now()
	r := run(t, "", "can", "--server", "http://"+ln.Addr().String(), "--request-timeout", "300ms", "api", "db:3306")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s with --request-timeout 300ms", took)
	}
	if r.code != ExitError {
		t.Errorf("exit %d, want 2", r.code)
	}
	for _, want := range []string{"cannot list namespaces cluster-wide", "/api/v1/namespaces", "no answer within --request-timeout 300ms"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks %q", r.stderr, want)
		}
	}
}

// TestChunkSizeFlag: --chunk-size is kubectl's: a page size, 0 for no
// chunks, negative sizes a flag error.
func TestChunkSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    int64
		wantErr string
	}{
		{name: "default 500, as kubectl", want: 500},
		{name: "a page size", args: []string{"--chunk-size", "7"}, want: 7},
		{name: "0 disables chunking", args: []string{"--chunk-size", "0"}, want: 0},
		{name: "negative is a flag error", args: []string{"--chunk-size", "-1"}, wantErr: `invalid argument "-1" for "--chunk-size" flag: must be 0 (no chunks) or a page size`},
		{name: "not a number is a flag error", args: []string{"--chunk-size", "many"}, wantErr: `invalid argument "many" for "--chunk-size" flag: not a whole number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			g := &globalOptions{IOStreams: streams, configFlags: genericclioptions.NewConfigFlags(true)}
			cmd := &cobra.Command{Use: "netpol"}
			g.addFlags(cmd)
			err := cmd.PersistentFlags().Parse(append([]string{"--server", "http://127.0.0.1:1"}, tc.args...))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := g.cluster()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.ChunkSize); diff != "" {
				t.Errorf("chunk size (-want +got):\n%s", diff)
			}
		})
	}
	r := run(t, "", "can", "--chunk-size", "-1", "api", "db:3306", "-f", "../testdata/three-tier/")
	if r.code != ExitError || !strings.Contains(r.stderr, `invalid argument "-1" for "--chunk-size" flag`) {
		t.Errorf("can --chunk-size -1: exit %d (want 2), stderr %q", r.code, r.stderr)
	}
}

// TestCompletionKeepsItsTimeout: completion bounds requests by 5s while the
// shell waits, not by the 30s default; a --request-timeout the user gave
// still wins.
func TestCompletionKeepsItsTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no --request-timeout: 5s", nil, completionTimeout},
		{"--request-timeout given: it", []string{"--request-timeout", "9s"}, "9s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			streams, _, _, _ := genericiooptions.NewTestIOStreams()
			g := &globalOptions{IOStreams: streams, configFlags: genericclioptions.NewConfigFlags(true)}
			cmd := &cobra.Command{Use: "netpol"}
			g.addFlags(cmd)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			if got := *g.forCompletion(cmd).configFlags.Timeout; got != tc.want {
				t.Errorf("timeout %q, want %q", got, tc.want)
			}
		})
	}
}
