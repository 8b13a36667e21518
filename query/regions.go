package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Address regions: the world outside the cluster cut by the ranges the
// policies' peers name, so that one representative address answers for
// each region.

// regionPrefixes lists the address ranges every peer of every policy
// names (peerPrefixes): what cuts the world outside the cluster into
// regions.
func (s *Snapshot) regionPrefixes() []netip.Prefix {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for p := range s.allPolicies() {
		for _, rules := range [][]Rule{p.ingress, p.egress} {
			for i := range rules {
				for j := range rules[i].peers {
					for _, pfx := range s.peerPrefixes(&rules[i].peers[j]) {
						if !seen[pfx] {
							seen[pfx] = true
							out = append(out, pfx)
						}
					}
				}
			}
		}
	}
	return out
}

// region is a set of addresses every ipBlock of a direction treats alike.
type region struct {
	name string
	rep  netip.Addr
}

// addressRegions cuts the address space by the given prefixes: one region
// per prefix (minus the more specific prefixes inside it) that has any
// address left, plus what no prefix covers, per IP family.
//
// Prefixes are nested or disjoint, so sorted by address and length they
// list a tree in depth-first order: one walk with a stack finds each
// prefix's children, the top-level prefixes inside it, which are all a
// region's name and first free address depend on.
func addressRegions(prefixes []netip.Prefix) []region {
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	prefixes = slices.Compact(prefixes)
	children := make([][]netip.Prefix, len(prefixes))
	var roots []netip.Prefix
	var stack []int
	for i, p := range prefixes {
		for len(stack) > 0 && !strictlyInside(p, prefixes[stack[len(stack)-1]]) {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			parent := stack[len(stack)-1]
			children[parent] = append(children[parent], p)
		} else {
			roots = append(roots, p)
		}
		stack = append(stack, i)
	}
	var out []region
	for i, p := range prefixes {
		if rep, ok := firstOutside(p, children[i]); ok {
			out = append(out, region{name: regionName(p, children[i]), rep: rep})
		}
	}
	if len(prefixes) == 0 {
		return append(out, region{name: "any address", rep: netip.MustParseAddr("203.0.113.1")})
	}
	for _, fam := range []struct {
		all  netip.Prefix
		name string
		rep  netip.Addr
	}{
		{netip.MustParsePrefix("0.0.0.0/0"), "IPv4", netip.MustParseAddr("203.0.113.1")},
		{netip.MustParsePrefix("::/0"), "IPv6", netip.MustParseAddr("2001:db8::1")},
	} {
		var top []netip.Prefix
		for _, q := range roots {
			if q.Addr().Is4() == fam.all.Addr().Is4() {
				top = append(top, q)
			}
		}
		if len(top) == 0 {
			out = append(out, region{name: "any " + fam.name + " address", rep: fam.rep})
			continue
		}
		if slices.Contains(top, fam.all) {
			continue // the prefix itself is a region already
		}
		if rep, ok := firstOutside(fam.all, top); ok {
			out = append(out, region{name: "any other " + fam.name + " address", rep: rep})
		}
	}
	return out
}

// strictlyInside tells whether q is a more specific prefix within p.
func strictlyInside(q, p netip.Prefix) bool {
	return q.Bits() > p.Bits() && p.Contains(q.Addr())
}

// regionNameExcepts is how many of the prefixes cut out of a region its
// name lists; the rest it counts. A region is named by its prefix, which
// no other region has, so the name stays unique, and stays short enough to
// be a column of a table when a policy lists thousands of blocks.
const regionNameExcepts = 10

// regionName renders "10.0.0.0/8" or "10.0.0.0/8 except 10.1.0.0/16":
// the prefix and its children, the top-level prefixes inside it ("... and
// 990 more" past the first regionNameExcepts).
func regionName(p netip.Prefix, children []netip.Prefix) string {
	if len(children) == 0 {
		return p.String()
	}
	n := min(len(children), regionNameExcepts)
	top := make([]string, n)
	for i, q := range children[:n] {
		top[i] = q.String()
	}
	more := ""
	if len(children) > n {
		more = fmt.Sprintf(" and %d more", len(children)-n)
	}
	return p.String() + " except " + strings.Join(top, ",") + more
}

// firstOutside finds the first address of p outside every prefix of
// holes: disjoint prefixes inside p, sorted by address.
func firstOutside(p netip.Prefix, holes []netip.Prefix) (netip.Addr, bool) {
	a := p.Addr()
	for _, h := range holes {
		if !h.Contains(a) {
			break // h starts after a: a is free
		}
		next, ok := lastAddr(h)
		if !ok {
			return netip.Addr{}, false
		}
		a = next.Next()
		if !a.IsValid() || !p.Contains(a) {
			return netip.Addr{}, false
		}
	}
	return a, true
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) (netip.Addr, bool) {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, ok := netip.AddrFromSlice(b)
	return a, ok
}
