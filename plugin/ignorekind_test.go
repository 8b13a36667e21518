package plugin

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
)

// TestIgnoreKindFlag: --ignore-kind takes the network plugins' policy
// kinds only, and hands them to the snapshot, whose objects of those
// kinds are then kept apart.
func TestIgnoreKindFlag(t *testing.T) {
	const calico = "../testdata/three-tier-calico"
	for _, tc := range []struct {
		name, kind, err string
	}{
		{"an unknown kind is a flag error naming the known ones", "CiliumPolicy", `error: invalid argument "CiliumPolicy" for "--ignore-kind" flag: "CiliumPolicy" is not a policy kind kubectl netpol reads without evaluating (one of NetworkPolicy.projectcalico.org`},
		{"NetworkPolicy without a group is a flag error: Kubernetes' own is evaluated", "NetworkPolicy", `"NetworkPolicy" is also a Kubernetes kind, which is evaluated: name the group`},
		{"one bad kind of a comma-separated list is a flag error", "GlobalNetworkPolicy,ciliumpolicies", `invalid argument "GlobalNetworkPolicy,ciliumpolicies"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", "can", "-f", threeTier, "-f", calico, "-n", "prod", "web", "api:5000", "--ignore-kind", tc.kind)
			if r.code != ExitError || !strings.Contains(r.stderr, tc.err) || strings.Count(strings.Split(r.stderr, "\nSee ")[0], "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one error line holding %q", r.code, r.stderr, tc.err)
			}
		})
	}
	t.Run("the kinds reach the snapshot", func(t *testing.T) {
		t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "no-kubeconfig"))
		streams, _, _, _ := genericiooptions.NewTestIOStreams()
		g := &globalOptions{IOStreams: streams, configFlags: genericclioptions.NewConfigFlags(true)}
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		g.snapshot.addFlags(fs)
		if err := fs.Parse([]string{"-f", threeTier, "-f", calico, "--ignore-kind", "globalnetworkpolicies.projectcalico.org"}); err != nil {
			t.Fatal(err)
		}
		l, err := g.load(load.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if got := l.snap.Ignored().String(); got != "1 Calico GlobalNetworkPolicy" || len(l.snap.Unevaluated()) != 0 {
			t.Errorf("ignored %q, unevaluated %q; want the GlobalNetworkPolicy ignored", got, l.snap.Unevaluated())
		}
	})
}
