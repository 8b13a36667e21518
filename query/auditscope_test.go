package query_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestAuditSelectorKeepsWhatConcernsTheMatchingWorkloads: with a label
// selector, an audit checks the workloads with a matching pod, the
// namespaces that hold them and the policies that select them, and
// nothing else.
func TestAuditSelectorKeepsWhatConcernsTheMatchingWorkloads(t *testing.T) {
	shop := loadSnapshot(t, auditShop)
	type finding struct{ Check, Object string }
	for _, tc := range []struct {
		name       string
		namespaces []string
		selector   string
		want       []finding
	}{
		{"the api pods of every namespace: their workloads, namespaces and policy", nil, "app=api", []finding{
			{"egress-blocks-dns", "deployment shop/api"},
			{"unprotected-workload", "deployment shop-dev/api"},
			{"no-default-deny-ingress", "namespace shop"},
			{"no-default-deny-ingress", "namespace shop-dev"},
			{"unrestricted-egress", "networkpolicy shop/api"},
			{"peer-without-namespace-restriction", "networkpolicy shop/api"},
			{"unknown-named-port", "networkpolicy shop/api"},
			{"no-default-deny-egress", "namespace shop"},
			{"no-default-deny-egress", "namespace shop-dev"},
			{"peer-matches-nothing", "networkpolicy shop/api"},
		}},
		{"a namespace narrows the selector", []string{"shop-dev"}, "app=api", []finding{
			{"unprotected-workload", "deployment shop-dev/api"},
			{"no-default-deny-ingress", "namespace shop-dev"},
			{"no-default-deny-egress", "namespace shop-dev"},
		}},
		{"the database: the policy that opens it, not the one that selects nothing", nil, "app=postgres", []finding{
			{"database-open-to-all", "networkpolicy shop/postgres"},
			{"no-default-deny-ingress", "namespace shop"},
			{"no-default-deny-egress", "namespace shop"},
		}},
		{"set-based selectors", nil, "app in (cache),app notin (api)", []finding{
			{"unprotected-workload", "deployment shop/cache"},
			{"no-default-deny-ingress", "namespace shop"},
			{"no-default-deny-egress", "namespace shop"},
		}},
		{"a selector no pod matches finds nothing", nil, "app=nothing", []finding{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := labels.Parse(tc.selector)
			if err != nil {
				t.Fatal(err)
			}
			a := shop.Audit(query.AuditOptions{Namespaces: tc.namespaces, Selector: sel})
			got := []finding{}
			for _, f := range a.Findings {
				got = append(got, finding{f.Check, f.Object})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if a.Selector != sel.String() {
				t.Errorf("the audit says its selector is %q, want %q", a.Selector, sel.String())
			}
		})
	}
}
