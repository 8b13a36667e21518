package plugin

import (
	"strings"
	"testing"
)

func TestAudit(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"shop", []string{"-f", "../testdata/audit/", "-n", "shop"}, 1},
		{"shop-high", []string{"-f", "../testdata/audit/", "-n", "shop", "--severity", "high"}, 1},
		{"three-tier-prod", []string{"-f", threeTier, "-n", "prod"}, 0},
		{"three-tier-all", []string{"-f", threeTier, "-A", "--severity", "medium"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"", "json", "markdown"} {
				args := append([]string{"audit"}, tc.args...)
				ext := ".txt"
				if format != "" {
					args, ext = append(args, "-o", format), "."+strings.Replace(format, "markdown", "md", 1)
				}
				r := run(t, "", args...)
				if r.code != tc.wantCode {
					t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.wantCode, r.stdout, r.stderr)
				}
				golden(t, "audit/"+tc.name+ext, r.stdout)
			}
		})
	}
}

// TestAuditFindsEveryMistake pins one finding per check on the fixture
// built to contain each mistake once.
func TestAuditFindsEveryMistake(t *testing.T) {
	r := run(t, "", "audit", "-f", "../testdata/audit/", "-n", "shop")
	for _, want := range []string{
		"HIGH    deployment shop/cache  [unprotected-workload]",
		"HIGH    networkpolicy shop/postgres spec.ingress[0].from[0]  [database-open-to-all]",
		"HIGH    deployment shop/api  [egress-blocks-dns]",
		"MEDIUM  namespace shop  [no-default-deny-ingress]",
		"LOW     namespace shop  [no-default-deny-egress]",
		"MEDIUM  networkpolicy shop/api spec.ingress[0].from[0].namespaceSelector  [peer-without-namespace-restriction]",
		"also matches pods in shop-dev",
		"MEDIUM  networkpolicy shop/api spec.egress[0].to[0]  [unrestricted-egress]",
		"MEDIUM  networkpolicy shop/api spec.ingress[0].ports[1]  [unknown-named-port]",
		"LOW     networkpolicy shop/api spec.ingress[0].from[1]  [peer-matches-nothing]",
		"LOW     networkpolicy shop/postgress-backup spec.podSelector  [policy-selects-nothing]",
		"10 findings: 3 high, 4 medium, 3 low.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("audit output lacks %q", want)
		}
	}
	q := run(t, "", "audit", "-f", "../testdata/audit/", "-n", "shop", "--severity", "high", "-q")
	if q.code != 1 || q.stdout != "" {
		t.Errorf("-q --severity high: exit %d, stdout %q", q.code, q.stdout)
	}
}

func TestAuditBadInput(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--severity", "urgent"}, `unknown severity "urgent"`},
		{[]string{"-n", "nowhere"}, "namespace nowhere does not exist"},
		{[]string{"-o", "xml"}, `unsupported output format "xml"`},
	} {
		r := run(t, "", append([]string{"audit", "-f", threeTier}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.wantErr) {
			t.Errorf("audit %v: exit %d, stderr %q", tc.args, r.code, r.stderr)
		}
	}
}
