package plugin

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

const optionsTip = `Use "kubectl netpol options" for a list of global command-line options (applies to all commands).`

// connectionFlags are kubectl's connection flags, as genericclioptions
// defines them.
func connectionFlags() []string {
	fs := pflag.NewFlagSet("kubectl", pflag.ContinueOnError)
	genericclioptions.NewConfigFlags(true).AddFlags(fs)
	var out []string
	fs.VisitAll(func(f *pflag.Flag) { out = append(out, f.Name) })
	return out
}

// TestHelpLeavesTheGlobalOptionsToOptions: as in kubectl, a command's help
// lists its own flags and those that choose the state it answers on, not
// the connection flags, and ends by pointing at "kubectl netpol options".
func TestHelpLeavesTheGlobalOptionsToOptions(t *testing.T) {
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	conn := connectionFlags()
	if len(conn) < 20 {
		t.Fatalf("only %d connection flags: %v", len(conn), conn)
	}
	for _, c := range NewCmdNetpol(streams).Commands() {
		if c.Name() == "help" || c.Name() == "options" {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			r := run(t, "", c.Name(), "--help")
			if r.code != ExitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if !strings.HasSuffix(r.stdout, optionsTip+"\n") {
				t.Errorf("help does not end with the tip:\n%s", r.stdout)
			}
			for _, name := range append(conn, "v", "chunk-size") {
				if strings.Contains(r.stdout, "--"+name+"=") {
					t.Errorf("help lists the global option --%s", name)
				}
			}
			reads := c.Flags().Lookup("quiet") != nil // the commands that read state
			for _, name := range []string{"filename", "recursive", "with", "without", "cni", "ipblock-pod-ips", "ignore-kind", "no-cni-check"} {
				if got := strings.Contains(r.stdout, "--"+name+"="); got != reads {
					t.Errorf("help lists --%s: %v, want %v", name, got, reads)
				}
			}
		})
	}
}

// TestOptionsListsTheGlobalOptions: "kubectl netpol options" lists every
// connection flag, -v and --chunk-size, and not the flags each command's
// help lists.
func TestOptionsListsTheGlobalOptions(t *testing.T) {
	r := run(t, "", "options")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "The following options can be passed to any command:\n\n") {
		t.Fatalf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	for _, name := range append(connectionFlags(), "v", "chunk-size") {
		if !strings.Contains(r.stdout, "--"+name+"=") {
			t.Errorf("options does not list --%s", name)
		}
	}
	for _, name := range []string{"filename", "with", "without", "cni", "output", "quiet"} {
		if strings.Contains(r.stdout, "--"+name+"=") {
			t.Errorf("options lists --%s, which the commands' help lists", name)
		}
	}
	if r := run(t, "", "options", "extra"); r.code != ExitError {
		t.Errorf("options with an argument: exit %d", r.code)
	}
}

// TestStateFlagsMayComeBeforeTheCommand: the flags that choose the state
// are the root's too, so they may come before the command's name, as
// before.
func TestStateFlagsMayComeBeforeTheCommand(t *testing.T) {
	before := run(t, "", "-f", threeTier, "--without", "networkpolicy/prod/db", "can", "api", "db:3306")
	after := run(t, "", "can", "api", "db:3306", "-f", threeTier, "--without", "networkpolicy/prod/db")
	if before.code != ExitNo || before.stdout != after.stdout || before.code != after.code {
		t.Errorf("before the command: exit %d\n%s\nafter: exit %d\n%s", before.code, before.stdout, after.code, after.stdout)
	}
}
