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
