package query

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
)

// ipBlockPolicy is a policy whose ingress[0].from[1] is the ipBlock.
func ipBlockPolicy(t *testing.T, ipBlock string) *networkingv1.NetworkPolicy {
	t.Helper()
	return testPolicies(t, fmt.Sprintf(`
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}, {ipBlock: %s}]}]`, ipBlock))[0].(*networkingv1.NetworkPolicy)
}

// TestIPBlockCIDRsAreValidatedAsTheAPIServerDoes pins that ipBlock.cidr
// and ipBlock.except take what kube-apiserver 1.37 takes in a new
// NetworkPolicy (strict CIDR validation), and nothing is reinterpreted:
// host bits are not masked, IPv4-mapped addresses are not IPv6 ranges,
// spaces are not trimmed.
func TestIPBlockCIDRsAreValidatedAsTheAPIServerDoes(t *testing.T) {
	const cidr = "spec.ingress[0].from[1].ipBlock.cidr"
	tests := []struct{ name, ipBlock, wantErr string }{
		{"host bits are refused, not masked", `{cidr: 10.0.0.1/8}`,
			cidr + `: invalid CIDR "10.0.0.1/8": must not have bits set beyond the prefix length (10.0.0.0/8 or 10.0.0.1/32?)`},
		{"IPv6 host bits are refused", `{cidr: "fd00::1/64"}`,
			cidr + `: invalid CIDR "fd00::1/64": must not have bits set beyond the prefix length (fd00::/64 or fd00::1/128?)`},
		{"an IPv4-mapped IPv6 address is refused", `{cidr: "::ffff:1.2.3.4/128"}`,
			cidr + `: invalid CIDR "::ffff:1.2.3.4/128": must not have an IPv4-mapped IPv6 address`},
		{"leading spaces are refused, not trimmed", `{cidr: " 10.0.0.0/8"}`,
			cidr + `: invalid CIDR " 10.0.0.0/8": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`},
		{"trailing spaces are refused", `{cidr: "10.0.0.0/8 "}`,
			cidr + `: invalid CIDR "10.0.0.0/8 ": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`},
		{"leading zeros are refused", `{cidr: 010.0.0.0/8}`,
			cidr + `: invalid CIDR "010.0.0.0/8": must not have leading 0s in IP or prefix length`},
		{"a zone is refused", `{cidr: "fe80::%eth0/10"}`,
			cidr + `: invalid CIDR "fe80::%eth0/10": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`},
		{"an empty cidr is refused", `{cidr: ""}`, cidr + `: required`},
		{"except with host bits is refused", `{cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.1/16]}`,
			`spec.ingress[0].from[1].ipBlock.except[1]: invalid CIDR "10.2.0.1/16": must not have bits set beyond the prefix length (10.2.0.0/16 or 10.2.0.1/32?)`},
		{"an IPv4-mapped except is refused", `{cidr: "::/0", except: ["::ffff:0:0/96"]}`,
			`spec.ingress[0].from[1].ipBlock.except[0]: invalid CIDR "::ffff:0:0/96": must not have an IPv4-mapped IPv6 address`},
		{"except outside cidr is refused", `{cidr: 10.0.0.0/8, except: [11.0.0.0/16]}`,
			`spec.ingress[0].from[1].ipBlock.except[0]: "11.0.0.0/16" must be a strict subset of cidr "10.0.0.0/8"`},
		{"except equal to cidr is refused", `{cidr: 10.0.0.0/8, except: [10.0.0.0/8]}`,
			`spec.ingress[0].from[1].ipBlock.except[0]: "10.0.0.0/8" must be a strict subset of cidr "10.0.0.0/8"`},
		{"except of the other family is refused", `{cidr: 0.0.0.0/0, except: ["fd00::/8"]}`,
			`spec.ingress[0].from[1].ipBlock.except[0]: "fd00::/8" must be a strict subset of cidr "0.0.0.0/0"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompilePolicy(ipBlockPolicy(t, tc.ipBlock))
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("CompilePolicy error = %v\nwant                 %s", err, tc.wantErr)
			}
		})
	}
}

// TestIPBlockCIDRsTheAPIServerTakes pins the other side: the legacy field
// keeps taking IPv6 that is not in canonical form.
func TestIPBlockCIDRsTheAPIServerTakes(t *testing.T) {
	tests := []struct{ ipBlock, wantCIDR, wantExcept string }{
		{`{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}`, "10.0.0.0/8", "10.1.0.0/16"},
		{`{cidr: "FD00:0:0:0:0:0:0:0/8", except: ["fd00:0::/16"]}`, "fd00::/8", "fd00::/16"},
		{`{cidr: 10.1.2.3/32}`, "10.1.2.3/32", ""},
	}
	for _, tc := range tests {
		t.Run(tc.ipBlock, func(t *testing.T) {
			p, err := CompilePolicy(ipBlockPolicy(t, tc.ipBlock))
			if err != nil {
				t.Fatal(err)
			}
			peer := p.ingress[0].peers[1]
			got := []string{peer.cidr.String(), ""}
			if len(peer.except) > 0 {
				got[1] = peer.except[0].String()
			}
			if diff := cmp.Diff([]string{tc.wantCIDR, tc.wantExcept}, got); diff != "" {
				t.Errorf("cidr, except (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClusterNetworksAreValidatedAsTheCRDDoes pins that networks entries
// take what the policy.networking.k8s.io CRDs take: a CIDR with no host
// bits (the CEL rule cidr(self) == cidr(self).masked()), no IPv4-mapped
// IPv6 address (refused by the API server's CEL cidr library), no spaces,
// at most 43 characters.
func TestClusterNetworksAreValidatedAsTheCRDDoes(t *testing.T) {
	const field = "spec.egress[0].to[0].networks[1]"
	tests := []struct{ name, network, wantErr string }{
		{"host bits are refused", "10.0.0.1/8", field + `: "10.0.0.1/8" has host bits set (want 10.0.0.0/8)`},
		{"an IPv4-mapped IPv6 range is refused", "::ffff:10.0.0.0/104",
			field + `: "::ffff:10.0.0.0/104" is an IPv4-mapped IPv6 address, which matches no IPv4 address (write the IPv4 range)`},
		{"an IPv4-mapped IPv6 address is refused", "::ffff:1.2.3.4/128",
			field + `: "::ffff:1.2.3.4/128" is an IPv4-mapped IPv6 address, which matches no IPv4 address (write the IPv4 range)`},
		{"leading spaces are refused", " 10.0.0.0/8", field + `: invalid CIDR " 10.0.0.0/8"`},
		{"trailing spaces are refused", "10.0.0.0/8 ", field + `: invalid CIDR "10.0.0.0/8 "`},
		{"a zone is refused", "fe80::%eth0/10", field + `: invalid CIDR "fe80::%eth0/10"`},
		{"more than 43 characters are refused", "0000:0000:0000:0000:0000:0000:100.100.100.100/128",
			field + `: "0000:0000:0000:0000:0000:0000:100.100.100.100/128" is longer than 43 characters`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := testClusterPolicies(t, fmt.Sprintf(`
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{networks: [192.168.0.0/16, %q]}]}]`, tc.network))
			_, err := CompileClusterPolicy(objs[0])
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("CompileClusterPolicy error = %v\nwant                        %s", err, tc.wantErr)
			}
		})
	}
	objs := testClusterPolicies(t, `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{networks: ["FD00::/8", "fd00:0::/16"]}]}]`)
	c, err := CompileClusterPolicy(objs[0])
	if err != nil {
		t.Fatalf("a CIDR not in canonical form, which the CRD takes: %v", err)
	}
	got := c.egress[0].peers[0].networks
	if want := []netip.Prefix{netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("fd00::/16")}; !cmp.Equal(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })) {
		t.Errorf("networks = %v, want %v", got, want)
	}
}
