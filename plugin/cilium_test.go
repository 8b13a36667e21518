package plugin

import (
	"strings"
	"testing"
)

// shopOnCilium is the three-tier shop's workloads with its policies
// written as CiliumNetworkPolicies (testdata/three-tier-cilium/) instead
// of NetworkPolicies.
var shopOnCilium = []string{
	"-f", "../testdata/three-tier/namespaces.yaml", "-f", "../testdata/three-tier/kube-system.yaml",
	"-f", "../testdata/three-tier/app-prod.yaml", "-f", "../testdata/three-tier/app-dev.yaml",
	"-f", "../testdata/three-tier/app-test.yaml", "-f", "../testdata/three-tier-cilium/",
	"--cni", "cilium",
}

// TestCiliumShop pins golden answers of every command on the shop's
// CiliumNetworkPolicies: the traces name the CNP and its rule, allow or
// deny; the expectations of the NetworkPolicy shop hold unchanged.
func TestCiliumShop(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"can_api_db-3306", []string{"can", "prod/api", "prod/db:3306"}, 0},
		{"can_web_db-3306", []string{"can", "prod/web", "prod/db:3306"}, 1},
		{"can_dev-api_db-3306", []string{"can", "dev/api", "prod/db:3306"}, 1},
		{"can_db_192.168.5.10-80", []string{"can", "prod/db", "192.168.5.10:80"}, 0},
		{"can_db_192.168.5.11-80", []string{"can", "prod/db", "192.168.5.11:80"}, 1},
		{"explain_db", []string{"explain", "prod/db"}, 0},
		{"map_prod", []string{"map", "-n", "prod"}, 0},
		{"test_expectations", []string{"test", "../testdata/three-tier/expectations.yaml"}, 0},
		{"diff_without_db", []string{"diff", "--without", "cnp/prod/db"}, 1},
		// The namespace's default deny is Cilium's "ingress: [{}]", and
		// the deny rule of the CCNP is not "a peer that allows nothing".
		{"audit_prod", []string{"audit", "-n", "prod"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"txt", "json"} {
				args := append(append([]string{}, tc.args...), shopOnCilium...)
				if format == "json" {
					args = append(args, "-o", "json")
				}
				r := run(t, "", args...)
				if r.code != tc.wantCode {
					t.Fatalf("%s: exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, tc.wantCode, r.stdout, r.stderr)
				}
				golden(t, "cilium/"+tc.name+"."+format, r.stdout)
			}
		})
	}
}

// TestCiliumConfigFromManifests: Cilium's cilium-config ConfigMap given
// with -f sets the Cilium profile's settings, in place of the API text
// when no --cni was given; under another --cni it is ignored, saying so;
// other ConfigMaps are skipped with a warning.
func TestCiliumConfigFromManifests(t *testing.T) {
	ipblock, config := "../testdata/profiles/ipblock", "../testdata/profiles/cilium-config/pods-mode.yaml"
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
		stderr   string
	}{
		{"no --cni: judged as Cilium with the ConfigMap's settings", []string{"-f", ipblock, "-f", config}, 0,
			[]string{"ALLOWED", "judged as: cilium: Cilium's settings given with -f and ConfigMap kube-system/cilium-config"}, ""},
		{"--cni cilium: the ConfigMap's settings apply", []string{"-f", ipblock, "-f", config, "--cni", "cilium"}, 0,
			[]string{"ALLOWED", "judged as: cilium: given with --cni and ConfigMap kube-system/cilium-config"}, ""},
		{"without it, Cilium's default: ipBlock does not match the pod", []string{"-f", ipblock, "--cni", "cilium"}, 1,
			[]string{"DENIED"}, ""},
		{"another --cni: ignored, with a warning", []string{"-f", ipblock, "-f", config, "--cni", "calico"}, 0,
			[]string{"judged as: calico"}, "Warning: ConfigMap kube-system/cilium-config ignored: the network plugin is calico (--cni)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"can", "shop/client", "shop/db:5432"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, r.stderr)
			}
		})
	}
}
