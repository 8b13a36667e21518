package query

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The engine's set operations and compiled rules are built for rules with
// tens of thousands of entries. These properties compare them, on random
// small inputs, with the straightforward definitions: a port set as one
// bit per protocol and port, a rule's ports as the union of its entries.

// portBits is the reference port set: one bit per protocol and port.
type portBits [3][maxPort + 1]bool

func bitsOf(s PortSet) *portBits {
	var b portBits
	for i := range s.ranges {
		for _, r := range s.ranges[i] {
			for p := r.From; p <= r.To; p++ {
				b[i][p] = true
			}
		}
	}
	return &b
}

// isNormal tells whether every protocol's intervals are sorted, disjoint,
// non-adjacent and within 1..65535: the one form Equal relies on.
func isNormal(s PortSet) bool {
	for _, rs := range s.ranges {
		for i, r := range rs {
			if r.From > r.To || r.From < minPort || r.To > maxPort || (i > 0 && r.From <= rs[i-1].To+1) {
				return false
			}
		}
	}
	return true
}

// randomPortSet is a union of a few ranges, clustered so that they touch,
// overlap and nest.
func randomPortSet(r *rand.Rand) PortSet {
	var s PortSet
	for range r.IntN(6) {
		from := int32(1 + r.IntN(120))
		to := min(from+int32(r.IntN(30)), maxPort)
		if r.IntN(15) == 0 {
			to = maxPort
		}
		s = s.Union(PortRangeSet(Protocols[r.IntN(2)], from, to))
	}
	return s
}

func TestPortSetOperationsAgreeWithBits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Random sets live in 1..150 and, for the ranges that run to the end,
	// near 65535: only there can they differ.
	checked := func(yield func(int32) bool) {
		for p := int32(minPort); p <= maxPort; p++ {
			if p == 300 {
				p = maxPort - 200
			}
			if !yield(p) {
				return
			}
		}
	}
	for i := range 1500 {
		a, b := randomPortSet(r), randomPortSet(r)
		ba, bb := bitsOf(a), bitsOf(b)
		for _, op := range []struct {
			name string
			got  PortSet
			want func(x, y bool) bool
		}{
			{"union", a.Union(b), func(x, y bool) bool { return x || y }},
			{"intersect", a.Intersect(b), func(x, y bool) bool { return x && y }},
			{"subtract", a.Subtract(b), func(x, y bool) bool { return x && !y }},
		} {
			if !isNormal(op.got) {
				t.Fatalf("case %d: %s of %s and %s is not normalized: %v", i, op.name, a, b, op.got.ranges)
			}
			got := bitsOf(op.got)
			for pi := range got {
				for p := range checked {
					if got[pi][p] != op.want(ba[pi][p], bb[pi][p]) {
						t.Fatalf("case %d: %s of %s and %s = %s, wrong at %s %d", i, op.name, a, b, op.got, Protocols[pi], p)
					}
				}
			}
		}
		for range 20 {
			pi, p := r.IntN(3), int32(1+r.IntN(140))
			if got := a.Contains(Protocols[pi], p); got != ba[pi][p] {
				t.Fatalf("case %d: %s contains %s %d = %v", i, a, Protocols[pi], p, got)
			}
		}
	}
}

func TestPortSetOfAgreesWithUnions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		var rs [3][]PortRange
		var want PortSet
		for range r.IntN(12) {
			pi := r.IntN(3)
			from := int32(1 + r.IntN(100))
			to := min(from+int32(r.IntN(20)), maxPort)
			rs[pi] = append(rs[pi], PortRange{from, to})
			want = want.Union(PortRangeSet(Protocols[pi], from, to))
		}
		in := fmt.Sprint(rs)
		if got := portSetOf(rs); !got.Equal(want) || !isNormal(got) {
			t.Fatalf("case %d: portSetOf(%s) = %v, want %v", i, in, got.ranges, want.ranges)
		}
	}
}

// randomPorts is a ports list of a few entries of every shape.
func randomPorts(r *rand.Rand) []Port {
	names := []string{"http", "dns", "metrics", "none"}
	var out []Port
	for j := range r.IntN(8) {
		p := Port{path: fmt.Sprintf("ports[%d]", j), protocol: Protocols[r.IntN(3)]}
		n := int32(50 + r.IntN(40))
		switch r.IntN(4) {
		case 0:
		case 1:
			p.named = names[r.IntN(len(names))]
		case 2:
			p.from, p.to = n, n+int32(r.IntN(10))
		default:
			p.from, p.to = n, n
		}
		out = append(out, p)
	}
	return out
}

// clusterPortRef is what one ports entry matches towards dst, written
// out as a reference for the compiled form.
func clusterPortRef(p *Port, dst *Pod) PortSet {
	switch {
	case p.named != "":
		var s PortSet
		if dst == nil {
			return s
		}
		for _, cp := range dst.Ports {
			if cp.Name == p.named && (p.protocol == "" || cp.Protocol == p.protocol) {
				s = s.Union(SinglePort(cp.Protocol, cp.Port))
			}
		}
		return s
	case p.from == 0:
		return ProtocolPorts(p.protocol)
	default:
		return PortRangeSet(p.protocol, p.from, p.to)
	}
}

func TestCompiledRulePortsAgreeWithEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	dst := &Pod{Ports: []ContainerPort{{"http", 80, corev1.ProtocolTCP}, {"dns", 53, corev1.ProtocolUDP}, {"dns", 53, corev1.ProtocolTCP}, {"metrics", 9090, corev1.ProtocolSCTP}}}
	for i := range 2000 {
		rule := Rule{ports: randomPorts(r)}
		if len(rule.ports) == 0 {
			rule.ports = nil
		}
		rule.compiled = compilePorts(rule.ports)
		var cr Rule
		for _, p := range rule.ports {
			if p.named != "" && r.IntN(2) == 0 {
				p.protocol = "" // v1alpha1: the container port's protocol
			}
			cr.ports = append(cr.ports, p)
		}
		cr.compiled = compilePorts(cr.ports)
		for _, d := range []*Pod{dst, nil} {
			want := AllPorts()
			if len(rule.ports) > 0 {
				want = PortSet{}
				for j := range rule.ports {
					want = want.Union(rule.ports[j].portsFor(d))
				}
			}
			if got := rule.portsFor(d); !got.Equal(want) {
				t.Fatalf("case %d: rule %v towards %v = %s, want %s", i, rule.ports, d != nil, got, want)
			}
			want = AllPorts()
			if cr.ports != nil {
				want = PortSet{}
				for j := range cr.ports {
					want = want.Union(clusterPortRef(&cr.ports[j], d))
				}
			}
			if got := cr.portsFor(d); !got.Equal(want) {
				t.Fatalf("case %d: cluster rule %v towards %v = %s, want %s", i, cr.ports, d != nil, got, want)
			}
		}
	}
}

// refAddressRegions is addressRegions as first written, one prefix against
// every other: the reference for the tree walk. It cuts the address space by the given prefixes: one region
// per prefix (minus the more specific prefixes inside it) that has any
// address left, plus what no prefix covers, per IP family.
func refAddressRegions(prefixes []netip.Prefix) []region {
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	prefixes = slices.Compact(prefixes)
	var out []region
	for _, p := range prefixes {
		var inner []netip.Prefix
		for _, q := range prefixes {
			if q != p && q.Bits() > p.Bits() && p.Contains(q.Addr()) {
				inner = append(inner, q)
			}
		}
		if rep, ok := refFirstOutside(p, inner); ok {
			out = append(out, region{name: refRegionName(p, inner), rep: rep})
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
		var inner []netip.Prefix
		for _, q := range prefixes {
			if q.Addr().Is4() == fam.all.Addr().Is4() {
				inner = append(inner, q)
			}
		}
		if len(inner) == 0 {
			out = append(out, region{name: "any " + fam.name + " address", rep: fam.rep})
			continue
		}
		if slices.Contains(inner, fam.all) {
			continue // the prefix itself is a region already
		}
		if rep, ok := refFirstOutside(fam.all, inner); ok {
			out = append(out, region{name: "any other " + fam.name + " address", rep: rep})
		}
	}
	return out
}

// regionName renders "10.0.0.0/8" or "10.0.0.0/8 except 10.1.0.0/16".
func refRegionName(p netip.Prefix, inner []netip.Prefix) string {
	var top []string
	for _, q := range inner {
		covered := false
		for _, r := range inner {
			if r != q && r.Bits() < q.Bits() && r.Contains(q.Addr()) {
				covered = true
			}
		}
		if !covered {
			top = append(top, q.String())
		}
	}
	if len(top) == 0 {
		return p.String()
	}
	return p.String() + " except " + strings.Join(top, ",")
}

// firstOutside finds an address of p outside every prefix of holes (sorted
// by address), walking past each hole in turn.
func refFirstOutside(p netip.Prefix, holes []netip.Prefix) (netip.Addr, bool) {
	a := p.Addr()
	for {
		moved := false
		for _, h := range holes {
			if h.Contains(a) {
				next, ok := lastAddr(h)
				if !ok {
					return netip.Addr{}, false
				}
				a = next.Next()
				if !a.IsValid() || !p.Contains(a) {
					return netip.Addr{}, false
				}
				moved = true
			}
		}
		if !moved {
			return a, true
		}
	}
}

// randomPrefixes are prefixes that nest and touch: a few /8../32 under
// 10/8 and 192.168/16, some IPv6, sometimes the whole family.
func randomPrefixes(r *rand.Rand) []netip.Prefix {
	var out []netip.Prefix
	for range r.IntN(10) {
		switch r.IntN(8) {
		case 0:
			out = append(out, netip.MustParsePrefix(fmt.Sprintf("fd00::%x/%d", r.IntN(4), 120+r.IntN(9))).Masked())
		case 1:
			out = append(out, netip.MustParsePrefix([]string{"0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16", "::/0"}[r.IntN(4)]))
		default:
			a := netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(2)), byte(r.IntN(8) * 16)})
			if r.IntN(3) == 0 {
				a = netip.AddrFrom4([4]byte{255, 255, 255, byte(240 + r.IntN(16))})
			}
			out = append(out, netip.PrefixFrom(a, 24+r.IntN(9)).Masked())
		}
	}
	return out
}

func TestAddressRegionsAgreeWithPairwise(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		ps := randomPrefixes(r)
		in := fmt.Sprint(ps)
		want := refAddressRegions(slices.Clone(ps))
		got := addressRegions(ps)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(region{}), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Fatalf("case %d: regions of %s (-pairwise +tree):\n%s", i, in, diff)
		}
	}
}

// randomIPBlocks are ipBlock peers with excepts, among selector peers.
func randomIPBlocks(r *rand.Rand) []Peer {
	var out []Peer
	for j := range r.IntN(9) {
		pe := Peer{path: fmt.Sprintf("from[%d]", j), kind: peerIPBlock}
		ps := randomPrefixes(r)
		if len(ps) == 0 || r.IntN(6) == 0 {
			pe.kind = peerPods
			out = append(out, pe)
			continue
		}
		pe.cidr, pe.networks = ps[0], ps[:1]
		for _, q := range ps[1:] {
			if strictlyInside(q, pe.cidr) {
				pe.except = append(pe.except, q)
			}
		}
		out = append(out, pe)
	}
	return out
}

func TestIPBlockIndexAgreesWithPeerWalk(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	s := &Snapshot{opts: DefaultOptions(), sem: semanticsOf(SpecProfile(), nil)}
	for i := range 3000 {
		peers := randomIPBlocks(r)
		rule := Rule{peers: peers}
		rule.index()
		x := rule.addrs
		for range 40 {
			var a netip.Addr
			switch r.IntN(4) {
			case 0:
				a = netip.MustParseAddr(fmt.Sprintf("fd00::%x", r.IntN(1100)))
			case 1:
				a = netip.AddrFrom4([4]byte{255, 255, 255, byte(r.IntN(256))})
			default:
				a = netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(2)), byte(r.IntN(256))})
			}
			want := -1
			for j := range peers {
				if peers[j].kind == peerIPBlock && s.matchPeer(&peers[j], ActionAccept, flowEnd{addr: a}) == missNone {
					want = j
					break
				}
			}
			if got := x.first(a); got != want {
				t.Fatalf("case %d: first peer holding %s among %v = %d, want %d", i, a, peers, got, want)
			}
		}
	}
}

// randomSelector is a small selector over few keys and values, some of
// them invalid, so that selectors repeat and near-collide.
func randomSelector(r *rand.Rand) *metav1.LabelSelector {
	words := []string{"a", "b", "1", "1:a", "a|", "2#", "", "b:1"}
	ls := &metav1.LabelSelector{}
	for range r.IntN(3) {
		if ls.MatchLabels == nil {
			ls.MatchLabels = map[string]string{}
		}
		ls.MatchLabels[words[r.IntN(len(words))]] = words[r.IntN(len(words))]
	}
	ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
	for range r.IntN(3) {
		e := metav1.LabelSelectorRequirement{Key: words[r.IntN(len(words))], Operator: ops[r.IntN(len(ops))]}
		for range r.IntN(3) {
			e.Values = append(e.Values, words[r.IntN(len(words))])
		}
		ls.MatchExpressions = append(ls.MatchExpressions, e)
	}
	return ls
}

func TestSelectorCacheAgreesWithCompiling(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 300 {
		sels := selectorCache{}
		for j := range 30 {
			ls := randomSelector(r)
			wantSel, wantText, wantErr := compileSelector("p", ls)
			gotSel, gotText, gotErr := sels.compile("p", ls)
			// Which invalid label an error names follows map order.
			if (gotErr == nil) != (wantErr == nil) || gotText != wantText || (wantErr == nil && gotSel.String() != wantSel.String()) {
				t.Fatalf("case %d.%d: %+v compiles to (%q, %v) from the cache, want (%q, %v)", i, j, ls, gotText, gotErr, wantText, wantErr)
			}
		}
	}
}
