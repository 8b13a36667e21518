package ciliumdiff

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// verdictsOn is the engine's and Cilium's verdict on one flow of c, asked
// as m was, and the oracle's result.
func verdictsOn(c Cluster, m mismatch, orc *oracle) (engineVerdict, oracleVerdict, *oracleResult, bool) {
	sc, err := scenarioOf(c, []oracleFlow{{From: m.src.name(), To: m.dst.name(), Protocol: string(m.x.proto), Port: uint16(m.x.port)}})
	if err != nil {
		return engineVerdict{}, oracleVerdict{}, nil, false
	}
	res, err := orc.ask(sc)
	if err != nil || len(res.policyErrors()) > 0 {
		return engineVerdict{}, oracleVerdict{}, nil, false
	}
	eng, err := newEngine(c)
	if err != nil {
		return engineVerdict{}, oracleVerdict{}, nil, false
	}
	if m.explicit {
		ans, err := eng.ask(m.src.name(), destArg(m.dst, m.x))
		if err != nil {
			return engineVerdict{}, oracleVerdict{}, nil, false
		}
		return explicit(ans), res.Flows[0], res, true
	}
	ans, err := eng.ask(m.src.name(), m.dst.name())
	if err != nil {
		return engineVerdict{}, oracleVerdict{}, nil, false
	}
	return portless(ans, m.x), res.Flows[0], res, true
}

// shrink removes from c, greedily, every policy, rule, pod and namespace
// without which the flow of m still mismatches in the same way (the same
// kind, and the same verdicts of both sides on the flow and its halves),
// and returns the smaller cluster with the mismatch as it is there.
func shrink(c Cluster, m mismatch, orc *oracle) (Cluster, mismatch) {
	still := func(s Cluster) (mismatch, bool) {
		ev, ov, res, ok := verdictsOn(s, m, orc)
		if !ok || classify(ev, ov) != m.kind || !sameVerdicts(ev, m.eng) || !sameOracle(ov, m.orc) {
			return mismatch{}, false
		}
		n := m
		n.eng, n.orc = ev, ov
		n.srcID, n.dstID = res.identity(m.src.name()), res.identity(m.dst.name())
		return n, true
	}
	for changed := true; changed; {
		changed = false
		for _, s := range smaller(c, m) {
			if n, ok := still(s); ok {
				c, m, changed = s, n, true
				break
			}
		}
	}
	return c, m
}

func sameVerdicts(a, b engineVerdict) bool {
	return a.allowed == b.allowed && a.egress == b.egress && a.ingress == b.ingress && a.decided == b.decided
}

func sameOracle(a, b oracleVerdict) bool {
	return a.Allowed == b.Allowed && a.Egress == b.Egress && a.Ingress == b.Ingress
}

// smaller lists the clusters one removal away from c, biggest removals
// first, keeping the flow's ends.
func smaller(c Cluster, m mismatch) []Cluster {
	var out []Cluster
	for i := range c.Cilium {
		s := c
		s.Cilium = without(c.Cilium, i)
		out = append(out, s)
	}
	for i := range c.Policies {
		s := c
		s.Policies = without(c.Policies, i)
		out = append(out, s)
	}
	// One rule of a NetworkPolicy, one peer or port of a rule.
	for i, np := range c.Policies {
		for _, edit := range npRemovals(np) {
			s := c
			s.Policies = append(append(append([]*networkingv1.NetworkPolicy(nil), c.Policies[:i]...), edit), c.Policies[i+1:]...)
			out = append(out, s)
		}
	}
	// One spec of specs, one rule of a section.
	for i, u := range c.Cilium {
		for _, edit := range ruleRemovals(u) {
			s := c
			s.Cilium = append(append(append([]*unstructured.Unstructured(nil), c.Cilium[:i]...), edit), c.Cilium[i+1:]...)
			out = append(out, s)
		}
	}
	for i, p := range c.Pods {
		if p == m.src.pod || p == m.dst.pod {
			continue
		}
		s := c
		s.Pods = without(c.Pods, i)
		out = append(out, s)
	}
	for i, ns := range c.Namespaces {
		used := false
		for _, p := range c.Pods {
			used = used || p.Namespace == ns.Name
		}
		for _, np := range c.Policies {
			used = used || np.Namespace == ns.Name
		}
		for _, u := range c.Cilium {
			used = used || u.GetNamespace() == ns.Name
		}
		if !used {
			s := c
			s.Namespaces = without(c.Namespaces, i)
			out = append(out, s)
		}
	}
	return out
}

func without[T any](xs []T, i int) []T {
	return append(append([]T(nil), xs[:i]...), xs[i+1:]...)
}

// ruleRemovals are copies of u with one spec of its specs, or one rule
// of one section of one spec, removed (a section left empty is dropped;
// Cilium may then reject the policy, and the removal is not kept).
func ruleRemovals(u *unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	if ss, ok := u.Object["specs"].([]any); ok && len(ss) > 1 {
		for i := range ss {
			v := u.DeepCopy()
			v.Object["specs"] = without(v.Object["specs"].([]any), i)
			out = append(out, v)
		}
	}
	n := len(specsOf(u.Object))
	for si := 0; si < n; si++ {
		for _, sec := range sections {
			rs, _ := specsOf(u.Object)[si][sec].([]any)
			for ri := range rs {
				v := u.DeepCopy()
				spec := specsOf(v.Object)[si]
				left := without(spec[sec].([]any), ri)
				if len(left) == 0 {
					delete(spec, sec)
				} else {
					spec[sec] = left
				}
				out = append(out, v)
			}
		}
	}
	return out
}

// npRemovals are copies of np with one ingress or egress rule, or one peer
// or port of one rule, removed.
func npRemovals(np *networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for i, r := range np.Spec.Ingress {
		v := np.DeepCopy()
		v.Spec.Ingress = without(v.Spec.Ingress, i)
		out = append(out, v)
		for j := range r.From {
			v := np.DeepCopy()
			v.Spec.Ingress[i].From = without(v.Spec.Ingress[i].From, j)
			out = append(out, v)
		}
		for j := range r.Ports {
			v := np.DeepCopy()
			v.Spec.Ingress[i].Ports = without(v.Spec.Ingress[i].Ports, j)
			out = append(out, v)
		}
	}
	for i, r := range np.Spec.Egress {
		v := np.DeepCopy()
		v.Spec.Egress = without(v.Spec.Egress, i)
		out = append(out, v)
		for j := range r.To {
			v := np.DeepCopy()
			v.Spec.Egress[i].To = without(v.Spec.Egress[i].To, j)
			out = append(out, v)
		}
		for j := range r.Ports {
			v := np.DeepCopy()
			v.Spec.Egress[i].Ports = without(v.Spec.Egress[i].Ports, j)
			out = append(out, v)
		}
	}
	return out
}
