package query

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
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
		p := Port{Path: fmt.Sprintf("ports[%d]", j), Protocol: Protocols[r.IntN(3)]}
		n := int32(50 + r.IntN(40))
		switch r.IntN(4) {
		case 0:
		case 1:
			p.Port = ptr.To(intstr.FromString(names[r.IntN(len(names))]))
		case 2:
			p.Port, p.EndPort = ptr.To(intstr.FromInt32(n)), ptr.To(n+int32(r.IntN(10)))
		default:
			p.Port = ptr.To(intstr.FromInt32(n))
		}
		out = append(out, p)
	}
	return out
}

func TestCompiledRulePortsAgreeWithEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	dst := &Pod{Ports: []ContainerPort{{"http", 80, corev1.ProtocolTCP}, {"dns", 53, corev1.ProtocolUDP}, {"dns", 53, corev1.ProtocolTCP}, {"metrics", 9090, corev1.ProtocolSCTP}}}
	for i := range 2000 {
		rule := Rule{Ports: randomPorts(r)}
		rule.ports = compilePorts(rule.Ports)
		var cr ClusterRule
		for _, p := range rule.Ports {
			cp := ClusterPort{Protocol: p.Protocol}
			switch {
			case p.Port == nil:
			case p.Port.Type == intstr.String:
				cp.Named = p.Port.StrVal
				if r.IntN(2) == 0 {
					cp.Protocol = "" // v1alpha1: the container port's protocol
				}
			case p.EndPort != nil:
				cp.From, cp.To = p.Port.IntVal, *p.EndPort
			default:
				cp.From, cp.To = p.Port.IntVal, p.Port.IntVal
			}
			cr.Ports = append(cr.Ports, cp)
		}
		cr.ports = compileClusterPorts(cr.Ports)
		for _, d := range []*Pod{dst, nil} {
			want := AllPorts()
			if len(rule.Ports) > 0 {
				want = PortSet{}
				for j := range rule.Ports {
					want = want.Union(rule.Ports[j].portsFor(d))
				}
			}
			if got := rule.portsFor(d); !got.Equal(want) {
				t.Fatalf("case %d: rule %v towards %v = %s, want %s", i, rule.Ports, d != nil, got, want)
			}
			want = AllPorts()
			if cr.Ports != nil {
				want = PortSet{}
				for j := range cr.Ports {
					want = want.Union(cr.Ports[j].portsFor(d))
				}
			}
			if got := cr.portsFor(d); !got.Equal(want) {
				t.Fatalf("case %d: cluster rule %v towards %v = %s, want %s", i, cr.Ports, d != nil, got, want)
			}
		}
	}
}
