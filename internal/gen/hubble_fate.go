package gen

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// What the cluster's policies are taken to do with Hubble's connections:
// the generator cannot ask the engine (whose tests import this package),
// so it reads the policies it wrote for the workloads. Replay of a
// generated recording finds a few disagreements where the two differ.

// fate is what the datapath does with a connection.
type fate uint8

const (
	fateOK          fate = iota
	fateDenyIngress      // dropped by policy at the destination's node
	fateDenyEgress       // dropped by policy at the source's node
)

// policyTypes are the directions a NetworkPolicy isolates, omitted
// policyTypes as the API defaults them.
func policyTypes(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, pt := range np.Spec.PolicyTypes {
		switch pt {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// covered tells whether a policy of w's namespace selects w for the
// direction, other than one for all its pods or for the scraper's and
// the ingress controller's ports: its allow-list, as the generator
// writes one for the workload's calls (the policy budget may leave a
// workload without one).
func covered(w *workload, egress bool) bool {
	for _, np := range w.ns.policies {
		if len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) == 0 ||
			slices.Contains(notCalls, np.Name) {
			continue
		}
		in, out := policyTypes(np)
		if egress && !out || !egress && !in {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err == nil && sel.Matches(labels.Set(w.labels)) {
			return true
		}
	}
	return false
}

// notCalls are the policies of application namespaces that admit the
// scraper and the ingress controller, not the workloads' callers.
var notCalls = []string{"allow-prometheus-scrape", "allow-monitoring", "allow-ingress-nginx"}

// fate is what the policies are taken to do with a call of the workload
// from to the workload to (nil: outside the cluster): dropped at the
// source if its namespace isolates egress and no allow-list covers it,
// else at the destination if its namespace isolates ingress and no
// allow-list covers it.
func (t *traffic) fate(from, to *workload) fate {
	switch {
	case from != nil && t.egressOnly[from.ns] && !covered(from, true):
		return fateDenyEgress
	case to != nil && t.isolated[to.ns] && !covered(to, false):
		return fateDenyIngress
	}
	return fateOK
}

// admits is fateOK if the namespace of w lets its clients in: it does not
// isolate its pods or has one of the named policies.
func (t *traffic) admits(w *workload, policies ...string) fate {
	if !t.isolated[w.ns] {
		return fateOK
	}
	for _, np := range w.ns.policies {
		if slices.Contains(policies, np.Name) {
			return fateOK
		}
	}
	return fateDenyIngress
}
