package query_test

import (
	"net/netip"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The features the random applications must keep exercising, and
// their counts (generate_prop_test.go).

// propFeatures are what the random applications must exercise, each
// with the share of cases (1 in n) that must have it at least.
var propFeatures = map[string]int{
	"existing policies kept":                       10,
	"existing policies replaced":                   10,
	"a replaced policy overwritten by name":        20,
	"a generated name taken by a kept policy":      20,
	"a selector that also selects another unit":    10,
	"exact selectors: over-permission is DNS":      2,
	"a named ingress port":                         10,
	"a bare pod end":                               10,
	"a DaemonSet or Job end":                       10,
	"a StatefulSet end":                            5,
	"an end mid-rollout":                           20,
	"an address source":                            5,
	"an address destination":                       5,
	"an IPv6 address end":                          10,
	"addresses widened":                            20,
	"no cluster DNS pods":                          10,
	"a peer in another namespace":                  5,
	"deny flows":                                   2,
	"the proof fails as the model says":            50,
	"a flow asking for a port by name":             10,
	"CiliumNetworkPolicies under Cilium's profile": 5,
	"addresses merged into one range":              10,
	"over-permission rows compared":                5,
}

// propStats counts the checks that exercised each of propFeatures.
type propStats map[string]int

func (s propStats) count(what string, ok bool) {
	if _, known := propFeatures[what]; !known {
		panic("unknown feature " + what)
	}
	if ok {
		s[what]++
	}
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
