package query

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestExplainRulesIsExplainWithoutPeers(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: db-ingress}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 80}]
---
metadata: {name: a-egress}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.168.5.10/32}}]
`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	got := s.ExplainRules([]string{"pod x/b", "pod x/a", "no such workload"})
	ex, err := s.ExplainWorkloads([]string{"x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []*UnitExplanation
	for _, ue := range ex.Workloads {
		ue.Ingress.Peers, ue.Egress.Peers = []Reach{}, []Reach{}
		want = append(want, ue)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(DirectionSummary{})); diff != "" {
		t.Errorf("ExplainRules (-want +got):\n%s", diff)
	}
	if len(got) != 2 || len(got[0].Ingress.Rules) != 0 || len(got[1].Ingress.Rules) != 1 || len(got[0].Egress.Rules) != 1 {
		t.Errorf("want x/a with one egress rule and x/b with one ingress rule, got %d workloads", len(got))
	}
}
