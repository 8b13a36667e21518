package query_test

import "github.com/kubectl-netpol/kubectl-netpol/query"

// What the proof says the generated policies also allow, checked
// against the claim and against the model (generate_prop_test.go).

// checkAlsoAllowed checks the claim that generated policies allow nothing
// beyond the required flows but DNS, where every required end's stable
// labels select its pods alone and no address is widened.
func (c *propCase) checkAlsoAllowed(fail func(string, ...any), g *query.Generated, m *propModel) {
	if m.widen4 > 0 || m.widen6 > 0 {
		return
	}
	for _, rf := range m.required {
		for _, e := range []propEnd{rf.src, rf.dst} {
			if e.unit != nil && !e.unit.exact() {
				return
			}
		}
	}
	// Without DNS pods, answers judge DNS against a standard one.
	dnsUnits := map[string]bool{"pod kube-system/cluster-dns": len(c.dnsPods) == 0}
	for _, p := range c.dnsPods {
		dnsUnits[c.unitByPodName[p.Key()].String()] = true
	}
	c.stats.count("exact selectors: over-permission is DNS", true)
	for _, op := range g.Proof.AlsoAllowed {
		for _, f := range op.Flows {
			if !dnsUnits[f.Destination] || !f.Ports.Subtract(dnsPortSet).IsEmpty() {
				fail("with exact selectors, also allowed beyond the required flows and DNS: %s -> %s: %s, by %v", f.Source, f.Destination, f.Ports, op.AllowedBy)
			}
		}
	}
}

// checkOverPermission compares the proof's over-permission between units
// with the model's, row by row: per unit pair, the ports every pod pair
// may use with the generated policies and not with their default denies
// alone, less those the required flows between the two units ask for.
// Rows with an address or the standard DNS stand-in are left out.
func (c *propCase) checkOverPermission(fail func(string, ...any), g *query.Generated, m *propModel) {
	got := map[[2]string]query.PortSet{}
	for _, op := range g.Proof.AlsoAllowed {
		for _, f := range op.Flows {
			k := [2]string{f.Source, f.Destination}
			got[k] = got[k].Union(f.Ports)
		}
	}
	compared := false
	for _, a := range c.units {
		for _, b := range c.units {
			if a == b {
				continue
			}
			after, before := query.AllPorts(), query.AllPorts()
			for _, p := range c.reps[a] {
				for _, q := range c.reps[b] {
					pr := probe{src: p, dst: q}
					e, i, err := m.want(pr)
					if err != nil {
						fail("%v", err)
						return
					}
					kept, err := m.keptPair(pr)
					if err != nil {
						fail("%v", err)
						return
					}
					after = after.Intersect(e.Intersect(i))
					before = before.Intersect(kept.AllowedPorts)
				}
			}
			extra := after.Subtract(before)
			for _, rf := range m.required {
				if rf.src.unit == a && rf.dst.unit == b {
					extra = extra.Subtract(rf.ports)
				}
			}
			k := [2]string{a.String(), b.String()}
			if !extra.Equal(got[k]) {
				fail("also allowed %s -> %s: the proof says %s, the model %s", a, b, got[k], extra)
			}
			compared = compared || !extra.IsEmpty()
		}
	}
	c.stats.count("over-permission rows compared", compared)
}
