package ciliumdiff

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
)

// divergence is a known difference between Cilium v1.20.2 and the API it
// implements, which the engine follows. A mismatching flow is put down to
// one only if its structural condition holds and Cilium with exactly that
// behaviour corrected (fix applied to what the oracle gets) agrees with
// the engine on the flow; every other mismatch fails the test.
type divergence struct {
	name    string
	applies func(c Cluster, m mismatch) bool
	fix     func(c Cluster) Cluster
}

var divergences = []divergence{
	{
		// Cilium's k8s.ParseNetworkPolicy converts a NetworkPolicy's
		// ingress and egress rules whatever policyTypes says, so the
		// rules of a direction the policy does not list still isolate and
		// allow: cilium/cilium#48703 (open; fix proposed in #48708, which
		// converts a direction's rules only when its type is listed).
		name:    "cilium#48703: NetworkPolicy rules of a direction missing from policyTypes are enforced",
		applies: policyTypesIgnored,
		fix:     honourPolicyTypes,
	},
}

// unlistedRules says whether np has rules of a direction its policyTypes
// (as the API server defaults them) does not list.
func unlistedRules(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	types := defaultedPolicy(np).Spec.PolicyTypes
	return len(np.Spec.Ingress) > 0 && !slices.Contains(types, networkingv1.PolicyTypeIngress),
		len(np.Spec.Egress) > 0 && !slices.Contains(types, networkingv1.PolicyTypeEgress)
}

// policyTypesIgnored: a NetworkPolicy in the source's namespace has egress
// rules without the Egress type, or one in the destination's has ingress
// rules without the Ingress type.
func policyTypesIgnored(c Cluster, m mismatch) bool {
	for _, np := range c.Policies {
		in, eg := unlistedRules(np)
		if (eg && m.src.pod != nil && np.Namespace == m.src.pod.Namespace) || (in && m.dst.pod != nil && np.Namespace == m.dst.pod.Namespace) {
			return true
		}
	}
	return false
}

// honourPolicyTypes drops the rules of the directions a NetworkPolicy does
// not list, as cilium/cilium#48708 does.
func honourPolicyTypes(c Cluster) Cluster {
	out := c
	out.Policies = nil
	for _, np := range c.Policies {
		in, eg := unlistedRules(np)
		if in || eg {
			np = np.DeepCopy()
			if in {
				np.Spec.Ingress = nil
			}
			if eg {
				np.Spec.Egress = nil
			}
		}
		out.Policies = append(out.Policies, np)
	}
	return out
}

// explainKnown puts each mismatch of mms that a known divergence explains
// down to it (counted in st.known) and returns the others. orcC is the
// cluster the oracle judged.
func explainKnown(orcC Cluster, mms []mismatch, orc *oracle, st *stats) ([]mismatch, error) {
	rest := mms
	for _, d := range divergences {
		var cand, other []mismatch
		for _, m := range rest {
			if m.kind != kindUndecided && d.applies(orcC, m) {
				cand = append(cand, m)
			} else {
				other = append(other, m)
			}
		}
		if len(cand) == 0 {
			continue
		}
		flows := make([]oracleFlow, len(cand))
		for i, m := range cand {
			flows[i] = oracleFlow{From: m.src.name(), To: m.dst.name(), Protocol: string(m.x.proto), Port: uint16(m.x.port)}
		}
		sc, err := scenarioOf(d.fix(orcC), flows)
		if err != nil {
			return nil, err
		}
		res, err := orc.ask(sc)
		if err != nil {
			return nil, err
		}
		for i, m := range cand {
			if classify(m.eng, res.Flows[i]) == "" {
				inc(&st.known, d.name, 1)
				inc(&st.mismatches, m.kind, -1)
				continue
			}
			other = append(other, m)
		}
		rest = other
	}
	return rest, nil
}
