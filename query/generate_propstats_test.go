package query_test

import (
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// What the proof says the generated policies also allow, compared with
// the model, and the features each check exercised (propFeatures).

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

// countFeatures counts what one check exercised.
func (c *propCase) countFeatures(g *query.Generated, m *propModel, v propVariant) {
	replaced := replacedBy(c.app, m.scope, v.cilium)
	c.stats.count("existing policies kept", !v.replace && len(c.app.policies) > 0)
	c.stats.count("existing policies replaced", v.replace && len(replaced) > 0)
	c.stats.count("a replaced policy overwritten by name", v.replace && len(g.Removes) < len(replaced))
	c.stats.count("no cluster DNS pods", len(c.dnsPods) == 0)
	c.stats.count("addresses widened", c.widen4 > 0)
	c.stats.count("CiliumNetworkPolicies under Cilium's profile", c.optionsFor(v).Profile.Name == "cilium")
	taken, named := false, false
	merged := false
	for _, rf := range m.required {
		for _, o := range m.required {
			a, b := rf.src, o.src
			if rf.dst.unit == nil {
				a, b = rf.dst, o.dst
			}
			merged = merged || a.unit == nil && b.unit == nil && a.pfx != b.pfx && rf.ports.Equal(o.ports) && (rf.src.unit == o.src.unit && rf.dst.unit == o.dst.unit) &&
				(a.pfx.Contains(b.pfx.Addr()) || siblings(a.pfx, b.pfx))
		}
	}
	c.stats.count("addresses merged into one range", merged && c.widen4 == 0)
	for _, p := range g.Policies {
		taken = taken || strings.Contains(p.Name, "-generated")
		if np, ok := p.Object.(*networkingv1.NetworkPolicy); ok {
			for _, r := range np.Spec.Ingress {
				for _, pp := range r.Ports {
					named = named || pp.Port != nil && pp.Port.Type == intstr.String
				}
			}
		}
	}
	c.stats.count("a generated name taken by a kept policy", taken)
	c.stats.count("a named ingress port", named)
	has := map[string]bool{}
	for _, rf := range m.required {
		_, port, _ := strings.Cut(strings.TrimPrefix(rf.gf.To, rf.dst.String()), ":")
		has["a flow asking for a port by name"] = has["a flow asking for a port by name"] || port != "" && port[0] >= 'a' && port[0] <= 'z'
		has["a peer in another namespace"] = has["a peer in another namespace"] || rf.src.unit != nil && rf.dst.unit != nil && rf.src.unit.ns != rf.dst.unit.ns
		has["an address source"] = has["an address source"] || rf.src.unit == nil
		has["an address destination"] = has["an address destination"] || rf.dst.unit == nil
		for _, e := range []propEnd{rf.src, rf.dst} {
			if e.unit == nil {
				has["an IPv6 address end"] = has["an IPv6 address end"] || e.pfx.Addr().Is6()
				continue
			}
			if !m.scope[e.unit.ns] {
				continue
			}
			has["a selector that also selects another unit"] = has["a selector that also selects another unit"] || !e.unit.exact()
			has["a bare pod end"] = has["a bare pod end"] || e.unit.kind == "Pod"
			has["a StatefulSet end"] = has["a StatefulSet end"] || e.unit.kind == "StatefulSet"
			has["a DaemonSet or Job end"] = has["a DaemonSet or Job end"] || e.unit.kind == "DaemonSet" || e.unit.kind == "Job"
			has["an end mid-rollout"] = has["an end mid-rollout"] || len(c.reps[e.unit]) > 1
		}
	}
	for what, ok := range has {
		c.stats.count(what, ok)
	}
}

func siblings(a, b netip.Prefix) bool {
	if a.Bits() != b.Bits() || a.Bits() == 0 || a.Addr().Is4() != b.Addr().Is4() {
		return false
	}
	pa, _ := a.Addr().Prefix(a.Bits() - 1)
	pb, _ := b.Addr().Prefix(b.Bits() - 1)
	return pa == pb
}
