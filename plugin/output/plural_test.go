package output

import (
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func TestCountsAreInTheSingularForOne(t *testing.T) {
	audit := func(n int) string {
		a := &query.Audit{Namespaces: []string{"prod"}}
		for range n {
			a.Findings = append(a.Findings, query.Finding{Severity: query.Low, Check: "c", Object: "namespace prod", Why: "w"})
		}
		var b strings.Builder
		if err := Audit(&b, "", a); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		return lines[len(lines)-1]
	}
	clusterRules := func(n int) string {
		return isolation(&query.DirectionSummary{ClusterRules: make([]query.ClusterRuleRef, n)})
	}
	tests := []struct{ name, got, want string }{
		{"one audit finding", audit(1), "1 finding: 0 high, 0 medium, 1 low."},
		{"two audit findings", audit(2), "2 findings: 0 high, 0 medium, 2 low."},
		{"one cluster rule", clusterRules(1), "cluster policies (1 rule)"},
		{"no cluster rule", clusterRules(0), "cluster policies (0 rules)"},
		{"one pod", plural(1, "pod", "pods"), "1 pod"},
		{"three pods", plural(3, "pod", "pods"), "3 pods"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
