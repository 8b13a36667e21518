package query

import (
	"go/ast"
	"go/parser"
	"go/token"
	kselection "k8s.io/apimachinery/pkg/selection"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// declaredPeerKinds are the peerKind constants declared in the package's
// source, read with go/parser so that a new kind cannot be forgotten in
// peerKinds.
func declaredPeerKinds(t *testing.T) []peerKind {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []peerKind
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || vs.Type == nil {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "peerKind" {
				return true
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, peerKind(s))
				}
			}
			return true
		})
	}
	return out
}

// TestEveryPeerKindIsMatched is the guard of the one peer matcher: every
// declared peer kind is listed in peerKinds, and every function of peer.go
// that dispatches on the kind answers for it (with the right verdict for a
// pod that matches and one that does not); a kind they do not know panics
// there, so a new kind fails here until it is handled.
func TestEveryPeerKindIsMatched(t *testing.T) {
	declared := declaredPeerKinds(t)
	slices.Sort(declared)
	listed := slices.Clone(peerKinds)
	slices.Sort(listed)
	if diff := cmp.Diff(declared, listed); diff != "" {
		t.Fatalf("peerKinds differs from the declared peerKind constants (-declared +listed):\n%s", diff)
	}
	s := &Snapshot{
		opts: DefaultOptions(), sem: semanticsOf(SpecProfile(), nil),
		namespaces: map[string]*Namespace{
			"prod": {Name: "prod", Labels: labels.Set{"env": "prod"}},
			"dev":  {Name: "dev", Labels: labels.Set{"env": "dev"}},
		},
		nodes:    []*clusterNode{{name: "n1", labels: labels.Set{"role": "worker"}, addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}},
		services: map[string][]*Service{"prod": {{Namespace: "prod", Name: "db", Selector: map[string]string{"app": "db"}}}},
	}
	in := &Pod{Namespace: "prod", Name: "db", Labels: labels.Set{"app": "db"}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.5")}}
	out := &Pod{Namespace: "dev", Name: "web", Labels: labels.Set{"app": "web"}, IPs: []netip.Addr{netip.MustParseAddr("10.9.0.5")}}
	host := &Pod{Namespace: "dev", Name: "agent", Labels: labels.Set{"app": "db"}, HostNetwork: true, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}
	dbSel := labels.SelectorFromSet(labels.Set{"app": "db"})
	prodSel := labels.SelectorFromSet(labels.Set{"env": "prod"})
	tests := map[peerKind]struct {
		peer      Peer
		matches   []*Pod
		unmatched []*Pod
	}{
		peerPods:            {Peer{sel: selector{namespace: "prod", podSel: dbSel, hostNetwork: true}}, []*Pod{in}, []*Pod{out, host}},
		peerNamespaces:      {Peer{sel: selector{nsSel: prodSel}}, []*Pod{in}, []*Pod{out, host}},
		peerPodAndNamespace: {Peer{sel: selector{nsSel: labels.Everything(), podSel: dbSel}}, []*Pod{in}, []*Pod{out, host}},
		peerIPBlock:         {Peer{cidr: netip.MustParsePrefix("10.0.0.0/16"), networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}, []*Pod{in}, []*Pod{out, host}},
		peerNetworks:        {Peer{networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}, []*Pod{in}, []*Pod{out, host}},
		peerNodes:           {Peer{nodeSel: labels.SelectorFromSet(labels.Set{"role": "worker"})}, []*Pod{host}, []*Pod{in, out}},
		peerDomainNames:     {Peer{domains: []string{"example.com"}}, nil, []*Pod{in, out, host}},
		peerCiliumEndpoints: {Peer{ciliumSel: &ciliumSelector{reqs: []ciliumRequirement{
			{source: ciliumSourceAny, key: "app", op: kselection.Equals, values: []string{"db"}},
			{source: ciliumSourceK8s, key: ciliumNamespaceName, op: kselection.Equals, values: []string{"prod"}}}}},
			[]*Pod{in}, []*Pod{out, host}},
		peerCiliumCIDR:    {Peer{cidr: netip.MustParsePrefix("10.0.0.0/8"), networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, nil, []*Pod{in, out, host}},
		peerCiliumEntity:  {Peer{entity: "cluster"}, []*Pod{in, out, host}, nil},
		peerCiliumService: {Peer{svcName: "db", svcNamespace: "prod"}, []*Pod{in}, []*Pod{out, host}},
		peerRunTime:       {Peer{runTime: "known at run time"}, nil, []*Pod{in, out}},
	}
	for _, k := range peerKinds {
		tc, ok := tests[k]
		if !ok {
			t.Errorf("peer kind %q has no case here: add one", k)
			continue
		}
		t.Run(string(k), func(t *testing.T) {
			pe := tc.peer
			pe.kind, pe.path, pe.text = k, "spec.ingress[0].from[0]", string(k)
			for _, p := range tc.matches {
				if m := s.matchPeer(&pe, ActionAccept, podEnd(p)); m != missNone {
					t.Errorf("matchPeer(%s) = miss %d (%s), want a match", p.Key(), m, s.missReason(m, &pe, podEnd(p)))
				}
			}
			for _, p := range tc.unmatched {
				m := s.matchPeer(&pe, ActionAccept, podEnd(p))
				if m == missNone {
					t.Errorf("matchPeer(%s) matched, want a miss", p.Key())
				} else if s.missReason(m, &pe, podEnd(p)) == "" {
					t.Errorf("missReason for %s (miss %d) is empty", p.Key(), m)
				}
			}
			// The other dispatching functions answer without panicking,
			// and agree with the matcher on which pods can match.
			names, all := s.namespacesOfPeer(&pe)
			for _, p := range tc.matches {
				if !all && !slices.Contains(names, p.Namespace) {
					t.Errorf("peerNamespaces = %v, all %v: leaves out %s, which matches", names, all, p.Namespace)
				}
			}
			_ = s.peerPrefixes(&pe)
			if pe.byAddress() != (k == peerIPBlock || k == peerNetworks || k == peerNodes || k == peerCiliumCIDR) {
				t.Errorf("byAddress = %v", pe.byAddress())
			}
			r := Rule{path: "spec.ingress[0]", action: ActionAccept, peers: []Peer{pe}}
			r.index()
			for _, p := range tc.matches {
				if !s.matchesPeer(&r, podEnd(p)) {
					t.Errorf("the rule's firstPeer misses %s, which the peer matches", p.Key())
				}
			}
			for _, p := range tc.unmatched {
				if s.matchesPeer(&r, podEnd(p)) {
					t.Errorf("the rule's firstPeer matches %s, which the peer does not", p.Key())
				}
			}
		})
	}
	t.Run("an unknown kind panics in the matcher", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("matchPeer of an unknown kind did not panic")
			}
		}()
		s.matchPeer(&Peer{kind: "serviceAccounts"}, ActionAccept, podEnd(in))
	})
}

// TestNamedPortProtocolRule pins the one rule by which a named port
// resolves, on every path that resolves one: a rule's compiled ports, one
// entry's ports, the entry's holds, and a Service's targetPort.
func TestNamedPortProtocolRule(t *testing.T) {
	dst := &Pod{Ports: []ContainerPort{
		{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP},
		{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
		{Name: "dns", Port: 5353, Protocol: corev1.ProtocolTCP},
	}}
	tests := []struct {
		name  string
		proto corev1.Protocol
		port  string
		want  PortSet
	}{
		{"the name and the protocol must both match", corev1.ProtocolTCP, "http", SinglePort(corev1.ProtocolTCP, 8080)},
		{"a name declared with another protocol matches nothing", corev1.ProtocolUDP, "http", PortSet{}},
		{"a name declared twice matches the port of the entry's protocol", corev1.ProtocolUDP, "dns", SinglePort(corev1.ProtocolUDP, 53)},
		{"an entry without protocol takes every port of that name", "", "dns", SinglePort(corev1.ProtocolUDP, 53).Union(SinglePort(corev1.ProtocolTCP, 5353))},
		{"a name no container declares matches nothing", corev1.ProtocolTCP, "mysql", PortSet{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entry := Port{protocol: tc.proto, named: tc.port}
			var viaRule PortSet
			r := Rule{ports: []Port{entry}}
			r.index()
			viaRule = r.portsFor(dst)
			var viaMatches PortSet
			for _, cp := range dst.Ports {
				if namedPortMatches(tc.proto, tc.port, cp) {
					viaMatches = viaMatches.Union(SinglePort(cp.Protocol, cp.Port))
				}
			}
			for what, got := range map[string]PortSet{"namedPortMatches": viaMatches, "Port.portsFor": entry.portsFor(dst), "Rule.portsFor": viaRule} {
				if !got.Equal(tc.want) {
					t.Errorf("%s = %s, want %s", what, got, tc.want)
				}
			}
			for _, cp := range dst.Ports {
				if got, want := entry.holds(dst, cp.Protocol, cp.Port), tc.want.Contains(cp.Protocol, cp.Port); got != want {
					t.Errorf("holds(%s %d) = %v, want %v", cp.Protocol, cp.Port, got, want)
				}
			}
			if r.portsFor(nil).IsEmpty() != true {
				t.Errorf("a named port matches an address outside the cluster: %s", r.portsFor(nil))
			}
			if tc.proto != "" {
				// A Service port's targetPort resolves by the same rule.
				got, ok := targetPort(corev1.ServicePort{Protocol: tc.proto, Port: 80, TargetPort: intstr.FromString(tc.port)}, dst)
				want := tc.want.Ranges(tc.proto)
				if ok != (len(want) > 0) || ok && got != want[0].From {
					t.Errorf("targetPort = %d, %v, want %v", got, ok, want)
				}
			}
		})
	}
}
