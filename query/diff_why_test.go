package query

import (
	"fmt"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

// TestDiffWhyPerClassPair checks that the explanations diff keeps per
// class pair are those of each pair's own pods: on generated clusters,
// with NetworkPolicies and with Cilium's policies, after a default deny
// and after removing every policy of a namespace.
func TestDiffWhyPerClassPair(t *testing.T) {
	checked := 0
	for _, cfg := range []gen.Config{
		{Pods: 300, Policies: 60, Seed: 5},
		{Pods: 300, Policies: 30, CiliumPolicies: 30, Seed: 6},
	} {
		objs := gen.Cluster(cfg)
		base, err := NewSnapshot(objs, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		// The namespace with the most pods.
		count := map[string]int{}
		var ns string
		for _, p := range base.pods {
			if count[p.Namespace]++; count[p.Namespace] > count[ns] {
				ns = p.Namespace
			}
		}
		var refs []ObjectRef
		for _, o := range objs {
			if np, ok := o.(*networkingv1.NetworkPolicy); ok {
				if np.Namespace == ns {
					refs = append(refs, ObjectRef{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name})
				}
			}
		}
		deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deny-all"}}
		deny.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		denied, err := base.With([]runtime.Object{deny}...)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := base.Without(refs...)
		if err != nil {
			t.Fatal(err)
		}
		for name, next := range map[string]*Snapshot{"default deny": denied, "policies removed": opened} {
			t.Run(fmt.Sprintf("%d pods %d cilium: %s", cfg.Pods, cfg.CiliumPolicies, name), func(t *testing.T) {
				res := Diff(base, next)
				r := newDiffRun(base, next)
				r.next.Classes()
				peer := func(name string) *diffPeer {
					if p, ok := r.peers[name]; ok {
						return p
					}
					t.Fatalf("no unit %s", name)
					return nil
				}
				for _, c := range res.Changes {
					if c.Source != "" && (r.peers[c.Source] == nil || r.peers[c.Destination] == nil) {
						continue // an address region
					}
					src, dst := peer(c.Source), peer(c.Destination)
					if !c.NowAllowed.IsEmpty() && !slices.Equal(c.AllowedBy, r.next.why(src, dst, c.NowAllowed, nil)) {
						t.Errorf("%s -> %s: allowed by %q, its own pods say %q", c.Source, c.Destination, c.AllowedBy, r.next.why(src, dst, c.NowAllowed, nil))
					}
					if !c.NowDenied.IsEmpty() && !slices.Equal(c.DeniedBy, r.next.why(src, dst, c.NowDenied, nil)) {
						t.Errorf("%s -> %s: denied by %q, its own pods say %q", c.Source, c.Destination, c.DeniedBy, r.next.why(src, dst, c.NowDenied, nil))
					}
					checked++
				}
			})
		}
	}
	if checked < 1000 {
		t.Errorf("only %d changes checked", checked)
	}
}
