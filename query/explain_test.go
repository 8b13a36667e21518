package query

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddressRegions(t *testing.T) {
	pfx := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	// 10.0.0.0/24 with twelve hosts cut out.
	hosts, hostNames := pfx("10.0.0.0/24"), []string{}
	for i := 1; i <= 12; i++ {
		h := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 32)
		hosts = append(hosts, h)
		hostNames = append(hostNames, h.String())
	}
	tests := []struct {
		name     string
		prefixes []netip.Prefix
		want     []string
	}{
		{"a name lists the first ten prefixes cut out and counts the rest", hosts, append(append([]string{
			"10.0.0.0/24 except " + strings.Join(hostNames[:10], ",") + " and 2 more"}, hostNames...), "any other IPv4 address", "any IPv6 address")},
		{"no ipBlock: one region", nil, []string{"any address"}},
		{"one host", pfx("192.168.5.10/32"), []string{"192.168.5.10/32", "any other IPv4 address", "any IPv6 address"}},
		{"cidr with except", pfx("10.0.0.0/8", "10.1.0.0/16"), []string{"10.0.0.0/8 except 10.1.0.0/16", "10.1.0.0/16", "any other IPv4 address", "any IPv6 address"}},
		{"everything with except", pfx("0.0.0.0/0", "10.0.0.0/8", "::/0"), []string{"0.0.0.0/0 except 10.0.0.0/8", "10.0.0.0/8", "::/0"}},
		{"a prefix wholly covered by its inner prefixes has no region", pfx("10.0.0.0/31", "10.0.0.0/32", "10.0.0.1/32"), []string{"10.0.0.0/32", "10.0.0.1/32", "any other IPv4 address", "any IPv6 address"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range addressRegions(tc.prefixes) {
				got = append(got, r.name)
				// The representative lies in the region it stands for.
				for _, p := range tc.prefixes {
					if r.name == p.String() && !p.Contains(r.rep) {
						t.Errorf("region %s: representative %s outside it", r.name, r.rep)
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("regions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExplainCallsOutRulesThatMatchNothing(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: ghost}}}]
  - from: [{namespaceSelector: {matchLabels: {env: staging}}}]
  - from: [{podSelector: {matchLabels: {app: b}}}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	spec, _ := ParseEndpoint("x/a")
	ex, err := s.Explain(spec, "x")
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, r := range ex.Workloads[0].Ingress.Rules {
		got = append(got, r.MatchesNothing)
	}
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
		t.Errorf("matchesNothing per rule (-want +got):\n%s", diff)
	}
	var peers []string
	for _, r := range ex.Workloads[0].Ingress.Peers {
		peers = append(peers, r.Peer+" "+r.Ports.String())
	}
	if diff := cmp.Diff([]string{"pod x/b all ports"}, peers); diff != "" {
		t.Errorf("reached by (-want +got):\n%s", diff)
	}
}
