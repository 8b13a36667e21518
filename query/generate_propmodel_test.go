package query_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The test's own account of what generated policies must allow, built
// from the application and the flows alone, never from what Generate
// wrote: a workload is selected by the stable labels all its pods share
// (propUnit.selected); each required flow opens the egress of the
// source's selected pods to the destination's on the flow's ports, and
// the ingress of the destination's selected pods from the source's; every
// pod of a namespace in scope may reach the cluster DNS on 53; and what
// the policies kept (all of them, or those of another kind or namespace
// with Replace) allow under a default deny stays allowed.

// propUnit is a workload (or bare pod) of the application.
type propUnit struct {
	ns, kind, name string
	// ref is how flows name it: ns/deploy/web, ns/sts/db, ns/pod/debug.
	ref  string
	pods []*query.Pod
	// stable are the labels every pod has, those controllers write left
	// out; selected the pods of the namespace that have them all.
	stable   labels.Set
	selected []*query.Pod
}

// String is the unit as the engine's answers name it.
func (u *propUnit) String() string { return strings.ToLower(u.kind) + " " + u.ns + "/" + u.name }

// exact tells whether the unit's stable labels select its pods alone.
func (u *propUnit) exact() bool { return len(u.selected) == len(u.pods) }

// unitsOf groups the snapshot's pods into units and works out each one's
// stable labels and the pods they select.
func unitsOf(snap *query.Snapshot) []*propUnit {
	var out []*propUnit
	byKey := map[string]*propUnit{}
	for _, p := range snap.Pods() {
		u := &propUnit{ns: p.Namespace, kind: "Pod", name: p.Name, ref: p.Namespace + "/pod/" + p.Name}
		if p.Workload != nil {
			short := map[string]string{"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "Job": "job"}[p.Workload.Kind]
			u = &propUnit{ns: p.Namespace, kind: p.Workload.Kind, name: p.Workload.Name, ref: p.Namespace + "/" + short + "/" + p.Workload.Name}
		}
		if have := byKey[u.ref]; have != nil {
			u = have
		} else {
			byKey[u.ref] = u
			out = append(out, u)
		}
		u.pods = append(u.pods, p)
	}
	for _, u := range out {
		u.stable = labels.Set{}
		for k, v := range u.pods[0].Labels {
			if !propControllerKeys[k] {
				u.stable[k] = v
			}
		}
		for _, p := range u.pods[1:] {
			for k, v := range u.stable {
				if p.Labels[k] != v {
					delete(u.stable, k)
				}
			}
		}
		sel := labels.SelectorFromSet(u.stable)
		for _, p := range snap.PodsIn(u.ns) {
			if sel.Matches(p.Labels) {
				u.selected = append(u.selected, p)
			}
		}
	}
	return out
}

// propEnd is one end of a flow: a unit, or an address range outside the
// cluster.
type propEnd struct {
	unit *propUnit
	pfx  netip.Prefix
}

func (e propEnd) String() string {
	if e.unit != nil {
		return e.unit.ref
	}
	if e.pfx.IsSingleIP() {
		return e.pfx.Addr().String()
	}
	return e.pfx.String()
}

// withPort writes an end as a flow's destination with a port.
func (e propEnd) withPort(port string) string {
	if port == "" {
		return e.String()
	}
	if e.unit == nil && e.pfx.Addr().Is6() {
		return "[" + e.String() + "]:" + port
	}
	return e.String() + ":" + port
}

// propFlow is a flow of the request with the ports the test expects it
// to need.
type propFlow struct {
	gf       query.GenerateFlow
	src, dst propEnd
	ports    query.PortSet
}

var dnsPortSet = query.SinglePort(corev1.ProtocolUDP, 53).Union(query.SinglePort(corev1.ProtocolTCP, 53))

// isDNS tells whether a pod is a cluster DNS pod the generated DNS egress
// names.
func isDNS(p *query.Pod) bool {
	return p.Namespace == "kube-system" && p.Labels["k8s-app"] == "kube-dns"
}

// randomFlow draws a flow between units of the application (not the
// cluster DNS) or between one and an address outside the cluster, with a
// port the destination declares (by number or name) or another.
func randomFlow(r *rand.Rand, units []*propUnit) (from, to propEnd, port string, ports query.PortSet) {
	ext := func() propEnd { return propEnd{pfx: mustPrefix(pickOne(r, propExternal))} }
	from, to = propEnd{unit: pickOne(r, units)}, propEnd{unit: pickOne(r, units)}
	switch k := r.IntN(10); {
	case k < 2:
		to = ext()
	case k < 4:
		from = ext()
	}
	if r.IntN(25) == 0 && to.unit != nil {
		return from, to, "", query.AllPorts()
	}
	if to.unit != nil && len(to.unit.pods[0].Ports) > 0 && r.IntN(4) > 0 {
		cp := pickOne(r, to.unit.pods[0].Ports)
		if cp.Name != "" && r.IntN(3) == 0 && everyPodNames(to.unit, cp) {
			port = cp.Name
		} else {
			port = strconv.Itoa(int(cp.Port))
		}
		if cp.Protocol != corev1.ProtocolTCP {
			port += "/" + strings.ToLower(string(cp.Protocol))
		}
		return from, to, port, query.SinglePort(cp.Protocol, cp.Port)
	}
	n := pickOne(r, []int32{443, 8443, 7000})
	return from, to, strconv.Itoa(int(n)), query.SinglePort(corev1.ProtocolTCP, n)
}

// everyPodNames tells whether every pod of the unit gives the port the
// same name, so that a flow may ask for it by name.
func everyPodNames(u *propUnit, cp query.ContainerPort) bool {
	for _, p := range u.pods {
		if !slices.ContainsFunc(p.Ports, func(q query.ContainerPort) bool { return q == cp }) {
			return false
		}
	}
	return true
}

func genFlow(where string, allow bool, from, to propEnd, port string) (query.GenerateFlow, error) {
	f, err := query.ParseFlow([]string{from.String(), to.withPort(port)})
	if err != nil {
		return query.GenerateFlow{}, err
	}
	return query.GenerateFlow{Name: where, Where: where, From: from.String(), To: to.withPort(port), Allow: allow, Flow: f}, nil
}

// propModel is the expectation for one generation: the scope, the
// required flows, and the state of the policies kept under a default
// deny of every namespace in scope.
type propModel struct {
	scope    map[string]bool
	required []propFlow
	// kept is the snapshot without the policies replaced and with a
	// default deny per namespace in scope: what the policies kept allow.
	kept   *query.Snapshot
	widen4 int
	widen6 int
	answer map[string]*query.Answer
}

// testDenies are the test's own default denies, one per namespace.
func testDenies(nss []string) []runtime.Object {
	var out []runtime.Object
	for _, ns := range nss {
		out = append(out, &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "zz-prop-test-deny"},
			Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}}})
	}
	return out
}

// replacedBy lists the existing policies Replace gives up: those of the
// kind written, in the namespaces in scope.
func replacedBy(app propApp, scope map[string]bool, cilium bool) []query.ObjectRef {
	var out []query.ObjectRef
	for _, obj := range app.policies {
		switch o := obj.(type) {
		case *networkingv1.NetworkPolicy:
			if !cilium && scope[o.Namespace] {
				out = append(out, query.ObjectRef{Kind: "NetworkPolicy", Namespace: o.Namespace, Name: o.Name})
			}
		case *unstructured.Unstructured:
			if cilium && scope[o.GetNamespace()] {
				out = append(out, query.ObjectRef{Kind: "CiliumNetworkPolicy", Group: "cilium.io", Namespace: o.GetNamespace(), Name: o.GetName()})
			}
		}
	}
	return out
}

// matches tells whether a pod or an address (exactly one set) is an end.
func (m *propModel) matches(pod *query.Pod, addr netip.Addr, e propEnd) bool {
	if e.unit != nil {
		return pod != nil && slices.Contains(e.unit.selected, pod)
	}
	return addr.IsValid() && m.widened(e.pfx).Contains(addr)
}

func (m *propModel) widened(p netip.Prefix) netip.Prefix {
	bits := m.widen4
	if p.Addr().Is6() {
		bits = m.widen6
	}
	if bits > 0 && bits < p.Bits() {
		q, _ := p.Addr().Prefix(bits)
		return q
	}
	return p
}

// generated is what the generated rules allow one half: egress from the
// subject to the peer, or ingress to the subject from it.
func (m *propModel) generated(egress bool, subject *query.Pod, peerPod *query.Pod, peerAddr netip.Addr) query.PortSet {
	out := query.PortSet{}
	for _, rf := range m.required {
		self, peer := rf.dst, rf.src
		if egress {
			self, peer = rf.src, rf.dst
		}
		if self.unit != nil && slices.Contains(self.unit.selected, subject) && m.matches(peerPod, peerAddr, peer) {
			out = out.Union(rf.ports)
		}
	}
	if egress && peerPod != nil && isDNS(peerPod) {
		out = out.Union(dnsPortSet)
	}
	return out
}

// probe is one pod pair, or a pod and an address, to judge.
type probe struct {
	src, dst         *query.Pod
	srcAddr, dstAddr netip.Addr
}

func (p probe) from() string {
	if p.src != nil {
		return p.src.Namespace + "/pod/" + p.src.Name
	}
	return p.srcAddr.String()
}

func (p probe) to() string {
	if p.dst != nil {
		return p.dst.Namespace + "/pod/" + p.dst.Name
	}
	return p.dstAddr.String()
}

func (p probe) String() string { return p.from() + " -> " + p.to() }

// ask asks a snapshot about a probe on every port.
func ask(s *query.Snapshot, p probe) (*query.Answer, error) {
	f, err := query.ParseFlow([]string{p.from(), p.to()})
	if err != nil {
		return nil, err
	}
	ans, err := s.Can(f, "default")
	if err != nil {
		return nil, fmt.Errorf("can %s: %w", p, err)
	}
	if len(ans.Pairs) != 1 {
		return nil, fmt.Errorf("can %s: %d pairs, want 1", p, len(ans.Pairs))
	}
	return ans, nil
}

// want is the ports the generated state should allow a probe, half by
// half.
func (m *propModel) want(p probe) (egress, ingress query.PortSet, err error) {
	pv, err := m.keptPair(p)
	if err != nil {
		return egress, ingress, err
	}
	egress, ingress = query.AllPorts(), query.AllPorts()
	if p.src != nil {
		egress = pv.Egress.AllowedPorts
		if m.scope[p.src.Namespace] {
			egress = egress.Union(m.generated(true, p.src, p.dst, p.dstAddr))
		}
	}
	if p.dst != nil {
		ingress = pv.Ingress.AllowedPorts
		if m.scope[p.dst.Namespace] {
			ingress = ingress.Union(m.generated(false, p.dst, p.src, p.srcAddr))
		}
	}
	return egress, ingress, nil
}

// keptPair is the kept policies' verdict on a probe, asked once.
func (m *propModel) keptPair(p probe) (query.PairVerdict, error) {
	ans := m.answer[p.String()]
	if ans == nil {
		var err error
		if ans, err = ask(m.kept, p); err != nil {
			return query.PairVerdict{}, err
		}
		m.answer[p.String()] = ans
	}
	return ans.Pairs[0], nil
}
