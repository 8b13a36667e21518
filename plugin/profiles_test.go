package plugin

import (
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestProfilesOfCommands runs the bundled profile fixtures through the
// commands: the verdict each network plugin gives, UNDECIDED with exit 2
// where the profile leaves the deciding behaviour unknown, an override
// that pins it, and the line that names the profile.
func TestProfilesOfCommands(t *testing.T) {
	ipblock := "../testdata/profiles/ipblock"
	tests := []struct {
		name     string
		args     []string
		code     int
		want     []string // lines or parts of lines of stdout, in order
		wantErr  string
		nowanted string
	}{
		{"the API text: an ipBlock over the pod network allows pod-to-pod", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock},
			0, []string{"ALLOWED  pod shop/client -> pod shop/db  port 5432/TCP", "judged as: spec (the Kubernetes API text): the default for manifests"}, "", ""},
		{"cilium: the ipBlock does not match the pod", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock, "--cni", "cilium"},
			1, []string{"DENIED  pod shop/client -> pod shop/db", "judged as: cilium: given with --cni", "does not match pod IPs on this network plugin"}, "", ""},
		{"calico matches pod IPs with ipBlock", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock, "--cni", "calico"},
			0, []string{"ALLOWED"}, "", ""},
		{"antrea: unknown, so UNDECIDED and exit 2", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock, "--cni", "antrea"},
			2, []string{"UNDECIDED  pod shop/client -> pod shop/db", "depends on: whether ipBlock matches pod IPs on this CNI"}, "undecided: depends on whether ipBlock matches pod IPs on this CNI", ""},
		{"--ipblock-pod-ips pins the unknown behaviour", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock, "--cni", "antrea", "--ipblock-pod-ips"},
			0, []string{"ALLOWED", "judged as: antrea: given with --cni"}, "", "depends on"},
		{"--ipblock-pod-ips=false over the API text", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock, "--ipblock-pod-ips=false"},
			1, []string{"DENIED"}, "", ""},
		{"flannel: the verdict is hypothetical", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock, "--cni", "flannel", "--ipblock-pod-ips=false"},
			1, []string{"DENIED  pod shop/client -> pod shop/db  port 5432/TCP  (hypothetical: the network plugin enforces no policy, so the cluster allows every flow)"}, "", ""},
		{"an unknown plugin name lists the known ones", []string{"can", "shop/client", "shop/db:5432", "-f", ipblock, "--cni", "weave"},
			2, nil, `--cni: unknown network plugin "weave" (one of antrea, aws-vpc-cni, calico, cilium,`, ""},
		{"test: an undecided expectation is an error", []string{"test", "../testdata/profiles/expect-ipblock.yaml", "-f", ipblock, "--cni", "antrea"},
			2, nil, "undecided: depends on whether ipBlock matches pod IPs on this CNI", ""},
		{"test: the same expectation passes on calico", []string{"test", "../testdata/profiles/expect-ipblock.yaml", "-f", ipblock, "--cni", "calico"},
			0, nil, "", ""},
		{"test: and fails on cilium", []string{"test", "../testdata/profiles/expect-ipblock.yaml", "-f", ipblock, "--cni", "cilium"},
			1, nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			rest := r.stdout
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order)\nstdout:\n%s", w, r.stdout)
				}
				rest = rest[i+len(w):]
			}
			if tc.wantErr != "" && !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, r.stderr)
			}
			if tc.nowanted != "" && strings.Contains(r.stdout, tc.nowanted) {
				t.Errorf("stdout has %q:\n%s", tc.nowanted, r.stdout)
			}
		})
	}
}

// TestEveryProfileOnTheIPBlockFixture: every profile answers the ipBlock
// question as its switch for ipBlock on pod IPs says (none enforcing
// nothing: the policies' verdict, hypothetical).
func TestEveryProfileOnTheIPBlockFixture(t *testing.T) {
	for _, name := range query.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			p, err := query.ProfileNamed(name)
			if err != nil {
				t.Fatal(err)
			}
			want := map[query.Switch]struct {
				code int
				head string
			}{query.Yes: {0, "ALLOWED"}, query.No: {1, "DENIED"}, query.Unknown: {2, "UNDECIDED"}}[p.Get(query.BehaviourIPBlockPodIPs)]
			r := run(t, "", "can", "shop/client", "shop/db:5432", "-f", "../testdata/profiles/ipblock", "--cni", name)
			if r.code != want.code || !strings.HasPrefix(r.stdout, want.head+" ") || !strings.Contains(r.stdout, "judged as: "+name) {
				t.Errorf("exit %d, want %d (%s)\nstdout:\n%s\nstderr:\n%s", r.code, want.code, want.head, r.stdout, r.stderr)
			}
		})
	}
}
