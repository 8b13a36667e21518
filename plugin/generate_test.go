package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

const traffic = threeTier + "traffic.yaml"

// prodPolicies are the example's NetworkPolicies of prod, which
// "generate --replace -n prod" proposes to replace.
var prodPolicies = []string{"networkpolicy/prod/allow-dns", "networkpolicy/prod/api", "networkpolicy/prod/db", "networkpolicy/prod/default-deny", "networkpolicy/prod/web"}

// generated runs generate and writes its YAML to a file, for the other
// commands to check.
func generated(t *testing.T, args ...string) (string, result) {
	t.Helper()
	r := run(t, "", append([]string{"generate"}, args...)...)
	if r.code != 0 {
		t.Fatalf("generate %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "generated.yaml")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, r
}

// replacing are the flags that judge the example with the generated
// policies instead of prod's: --replace gives them prod's names, so
// --with puts each in the place of its namesake (checked here).
func replacing(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prodPolicies {
		if name := p[strings.LastIndex(p, "/")+1:]; !strings.Contains(string(b), "\n  name: "+name+"\n") {
			t.Fatalf("no generated policy is named %s", name)
		}
	}
	return []string{"-f", threeTier, "--with", file}
}

// TestGenerateThreeTier generates prod's policies from the seed's traffic
// table (users -> web:80, web -> api:5000, api -> db:3306, db -> the backup
// server on 80) and checks them with the other commands, not with the
// proof alone.
func TestGenerateThreeTier(t *testing.T) {
	file, r := generated(t, "--from", traffic, "-f", threeTier, "-n", "prod", "--replace")
	golden(t, "generate/three-tier.yaml", r.stdout)
	golden(t, "generate/three-tier-proof.txt", r.stderr)

	t.Run("the example's own expectations hold with them", func(t *testing.T) {
		res := run(t, "", append([]string{"test", threeTier + "expectations.yaml"}, replacing(t, file)...)...)
		if res.code != 0 {
			t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
	t.Run("the database's reachability is the seed db policy's", func(t *testing.T) {
		res := run(t, "", append([]string{"diff", "-o", "json"}, replacing(t, file)...)...)
		var d struct {
			Changes []struct{ Source, Destination string }
		}
		if err := json.Unmarshal([]byte(res.stdout), &d); err != nil {
			t.Fatalf("%v\n%s", err, res.stderr)
		}
		for _, c := range d.Changes {
			if c.Source == "deployment prod/db" || c.Destination == "deployment prod/db" {
				t.Errorf("the database's reachability changes: %s -> %s", c.Source, c.Destination)
			}
		}
		if len(d.Changes) == 0 {
			t.Errorf("no change at all: the seed's web takes HTTP from every pod, the generated one only from outside the cluster")
		}
	})
	t.Run("everything else in prod is denied, DNS aside", func(t *testing.T) {
		res := run(t, "", append([]string{"map", "-A", "-o", "json", "--expand"}, replacing(t, file)...)...)
		var g struct {
			Edges []struct {
				From, To string
				Ports    query.PortSet
			}
		}
		if err := json.Unmarshal([]byte(res.stdout), &g); err != nil {
			t.Fatalf("%v\n%s", err, res.stderr)
		}
		want := map[string]string{
			"0.0.0.0/0 except 192.168.5.10/32 -> deployment prod/web": "TCP 80",
			"192.168.5.10/32 -> deployment prod/web":                  "TCP 80",
			"deployment prod/web -> deployment prod/api":              "TCP 5000",
			"deployment prod/api -> deployment prod/db":               "TCP 3306",
			"deployment prod/db -> 192.168.5.10/32":                   "TCP 80",
			"deployment prod/web -> deployment kube-system/coredns":   "TCP 53; UDP 53",
			"deployment prod/api -> deployment kube-system/coredns":   "TCP 53; UDP 53",
			"deployment prod/db -> deployment kube-system/coredns":    "TCP 53; UDP 53",
		}
		got := map[string]string{}
		for _, e := range g.Edges {
			if strings.Contains(e.From, " prod/") || strings.Contains(e.To, " prod/") {
				got[e.From+" -> "+e.To] = e.Ports.String()
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %q, want %q", k, got[k], v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("also allowed: %s %s", k, v)
			}
		}
	})
	t.Run("kept beside the existing policies, under names of their own", func(t *testing.T) {
		r := run(t, "", "generate", "--from", traffic, "-f", threeTier, "-n", "prod")
		if r.code != 0 || !strings.Contains(r.stdout, "name: db-generated\n") || strings.Contains(r.stdout, "kubectl delete") {
			t.Errorf("exit %d\n%s", r.code, r.stdout)
		}
	})
}

// TestGenerateCilium writes the same policies as CiliumNetworkPolicies:
// the example's expectations hold with them instead of prod's policies.
func TestGenerateCilium(t *testing.T) {
	file, r := generated(t, "--from", traffic, "-f", threeTier, "-n", "prod", "--replace", "--format", "ciliumnetworkpolicy")
	golden(t, "generate/three-tier-cilium.yaml", r.stdout)
	if !strings.Contains(r.stderr, "Proof: holds.") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	res := run(t, "", append([]string{"test", threeTier + "expectations.yaml"}, replacing(t, file)...)...)
	if res.code != 0 {
		t.Errorf("test: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestGenerateFromFlows takes the shop's recorded Hubble day as the
// required flows: every connection seen is allowed, the one dropped by
// policy stays denied, and the proof says so as data.
func TestGenerateFromFlows(t *testing.T) {
	r := run(t, "", "generate", "--from", hubbleDay, "-f", threeTier, "-n", "prod", "--replace", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var g struct {
		Namespaces []string
		Policies   []struct{ Kind, Namespace, Name string }
		Proof      struct {
			Holds            bool
			Required, Denied []struct {
				From, To, Verdict string
				Holds             bool
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
		t.Fatal(err)
	}
	if !g.Proof.Holds || len(g.Proof.Required) != 28 || len(g.Proof.Denied) != 1 {
		t.Errorf("holds %v, %d required, %d denied", g.Proof.Holds, len(g.Proof.Required), len(g.Proof.Denied))
	}
	var names []string
	for _, p := range g.Policies {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	if want := []string{"prod/default-deny", "prod/allow-dns", "prod/api", "prod/db", "prod/web"}; !slices.Equal(names, want) {
		t.Errorf("policies %v, want %v", names, want)
	}
}

// writeExpectations writes one expectations file into a new directory.
func writeExpectations(t *testing.T, name, body string) string {
	t.Helper()
	return filepath.Join(writeManifests(t, map[string]string{name: body}), name)
}

// TestGenerateCannotAllow: a flow an Admin-tier deny blocks cannot be
// allowed by NetworkPolicies, and one whose other end is in a namespace
// out of scope is blocked there: exit 1, naming what blocks.
func TestGenerateCannotAllow(t *testing.T) {
	t.Run("an Admin-tier deny", func(t *testing.T) {
		f := writeExpectations(t, "admin.yaml", "- from: dev/api\n  to: prod/db:3306\n  expect: allow\n")
		r := run(t, "", "generate", "--from", f, "-f", threeTier, "-f", tiers, "-n", "prod")
		if r.code != 1 || !strings.Contains(r.stderr, "blocked: Admin-tier rule") || !strings.Contains(r.stderr, "protect-prod-db") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("a namespace out of scope", func(t *testing.T) {
		f := writeExpectations(t, "scope.yaml", "- from: prod/web\n  to: dev/api:5000\n  expect: allow\n")
		r := run(t, "", "generate", "--from", f, "-f", threeTier, "-n", "dev")
		if r.code != 1 || !strings.Contains(r.stderr, "namespace prod is not in scope") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
}

// TestGenerateErrors: bad requests are errors (exit 2) that say what is
// wrong and where.
func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no --from", []string{"generate", "-f", threeTier}, "error: --from is required"},
		{"an unknown format", []string{"generate", "--from", traffic, "-f", threeTier, "--format", "calico"}, `error: --format "calico": want networkpolicy or ciliumnetworkpolicy`},
		{"-A and -n", []string{"generate", "--from", traffic, "-f", threeTier, "-A", "-n", "prod"}, "error: -A and -n exclude each other"},
		{"a bad prefix", []string{"generate", "--from", traffic, "-f", threeTier, "--ipv4-prefix", "33"}, "error: --ipv4-prefix 33: want 1 to 32"},
		{"an unknown workload", []string{"generate", "--from", writeExpectations(t, "unknown.yaml", "- from: prod/web\n  to: prod/cache:6379\n  expect: allow\n"), "-f", threeTier},
			`unknown.yaml:1: destination "prod/cache:6379": no pod, workload or service named "cache" in namespace prod`},
		{"two addresses", []string{"generate", "--from", writeExpectations(t, "addrs.yaml", "- from: 10.1.2.3\n  to: 192.168.5.10:80\n  expect: allow\n"), "-f", threeTier},
			"addrs.yaml:1: 10.1.2.3 and 192.168.5.10:80 are both outside the cluster"},
		{"no allow", []string{"generate", "--from", writeExpectations(t, "deny.yaml", "- from: prod/web\n  to: prod/db:3306\n  expect: deny\n"), "-f", threeTier},
			"error: no required flow: the input has no allow expectation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			if r.code != ExitError || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}
