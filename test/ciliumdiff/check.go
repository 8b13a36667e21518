package ciliumdiff

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type portProto struct {
	port  int32
	proto corev1.Protocol
}

func (x portProto) String() string { return fmt.Sprintf("%d/%s", x.port, x.proto) }

// endpoint is one end of a flow: a pod, or an external address.
type endpoint struct {
	pod *corev1.Pod // nil: external
	ip  string
}

func (e endpoint) String() string {
	if e.pod != nil {
		return e.pod.Namespace + "/" + e.pod.Name + " (" + e.ip + ")"
	}
	return e.ip
}

// name is how both the engine and the oracle name the end.
func (e endpoint) name() string {
	if e.pod != nil {
		return e.pod.Namespace + "/" + e.pod.Name
	}
	return e.ip
}

// destArg is the engine's DST:PORT/PROTO.
func destArg(e endpoint, x portProto) string {
	host := e.name()
	if e.pod == nil && strings.Contains(e.ip, ":") {
		host = "[" + e.ip + "]"
	}
	return fmt.Sprintf("%s:%d/%s", host, x.port, strings.ToLower(string(x.proto)))
}

// pair is an ordered pair of ends and the (port, protocol) candidates
// asked about it; explicit marks those also asked with the port.
type pair struct {
	src, dst endpoint
	all      []portProto
	explicit map[portProto]bool
}

// candidatePorts are the port numbers worth probing: every container port,
// every policy port and range end with its neighbours, and a few numbers
// nothing mentions.
func candidatePorts(c Cluster) []int32 {
	set := map[int32]bool{1: true, 80: true, 12345: true, 65535: true}
	add := func(ns ...int32) {
		for _, n := range ns {
			if n >= 1 && n <= 65535 {
				set[n] = true
			}
		}
	}
	near := func(n int32) { add(n-1, n, n+1) }
	for _, p := range c.Pods {
		for _, ctr := range p.Spec.Containers {
			for _, cp := range ctr.Ports {
				add(cp.ContainerPort)
			}
		}
	}
	npPorts := func(ps []networkingv1.NetworkPolicyPort) {
		for _, pp := range ps {
			if pp.Port != nil && pp.Port.Type == intstr.Int {
				near(pp.Port.IntVal)
			}
			if pp.EndPort != nil {
				near(*pp.EndPort)
			}
		}
	}
	for _, np := range c.Policies {
		for _, r := range np.Spec.Ingress {
			npPorts(r.Ports)
		}
		for _, r := range np.Spec.Egress {
			npPorts(r.Ports)
		}
	}
	for _, u := range c.Cilium {
		walkPorts(u.Object, func(p map[string]any) {
			if s, ok := p["port"].(string); ok {
				if n, err := strconv.Atoi(s); err == nil {
					near(int32(n))
				}
			}
			if e, ok := p["endPort"].(int64); ok {
				near(int32(e))
			}
		})
	}
	out := make([]int32, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// walkPorts calls f on every port protocol of every toPorts of a Cilium
// policy.
func walkPorts(obj map[string]any, f func(map[string]any)) {
	walkRules(obj, func(_ string, rule map[string]any) {
		tps, _ := rule["toPorts"].([]any)
		for _, tp := range tps {
			pr, _ := tp.(map[string]any)
			ps, _ := pr["ports"].([]any)
			for _, p := range ps {
				if p, ok := p.(map[string]any); ok {
					f(p)
				}
			}
		}
	})
}

// walkRules calls f on every rule of every section of every spec of a
// Cilium policy, with the section's name.
func walkRules(obj map[string]any, f func(section string, rule map[string]any)) {
	for _, spec := range specsOf(obj) {
		for _, s := range sections {
			rs, _ := spec[s].([]any)
			for _, r := range rs {
				if r, ok := r.(map[string]any); ok {
					f(s, r)
				}
			}
		}
	}
}

// specsOf lists a Cilium policy's spec and specs.
func specsOf(obj map[string]any) []map[string]any {
	var out []map[string]any
	if s, ok := obj["spec"].(map[string]any); ok {
		out = append(out, s)
	}
	ss, _ := obj["specs"].([]any)
	for _, s := range ss {
		if s, ok := s.(map[string]any); ok {
			out = append(out, s)
		}
	}
	return out
}

// pairsOf lists every ordered pair of distinct pods and every pod with
// every external address, both ways, each with every candidate (port,
// protocol); the explicit ones are the destination's declared ports (with
// their protocol and the next) and sample random candidates.
func pairsOf(r *rand.Rand, c Cluster, sample int) []pair {
	cands := candidatePorts(c)
	var all []portProto
	for _, n := range cands {
		for _, proto := range protocols {
			all = append(all, portProto{n, proto})
		}
	}
	mk := func(src, dst endpoint) pair {
		p := pair{src: src, dst: dst, all: all, explicit: map[portProto]bool{}}
		if dst.pod != nil {
			for _, ctr := range dst.pod.Spec.Containers {
				for _, cp := range ctr.Ports {
					proto := protocolOrTCP(cp.Protocol)
					p.explicit[portProto{cp.ContainerPort, proto}] = true
					p.explicit[portProto{cp.ContainerPort, protocols[(slices.Index(protocols, proto)+1)%len(protocols)]}] = true
				}
			}
		}
		for i := 0; i < sample; i++ {
			p.explicit[pick(r, all)] = true
		}
		return p
	}
	var out []pair
	for _, s := range c.Pods {
		se := endpoint{pod: s, ip: s.Status.PodIP}
		for _, d := range c.Pods {
			if s != d {
				out = append(out, mk(se, endpoint{pod: d, ip: d.Status.PodIP}))
			}
		}
		for _, ext := range c.Externals {
			out = append(out, mk(se, endpoint{ip: ext}))
			out = append(out, mk(endpoint{ip: ext}, se))
		}
	}
	return out
}

// Kinds of mismatch.
const (
	// kindVerdict: the engine and Cilium disagree on the flow.
	kindVerdict = "verdict"
	// kindHalf: they agree on the flow but not on one of its halves.
	kindHalf = "half"
	// kindUndecided: the engine gave no verdict (Answer.Decided false)
	// although the profile leaves nothing unknown.
	kindUndecided = "undecided"
	// kindNotModelled: undecided only for what the engine does not model
	// and says so, the API server's addresses (the kube-apiserver entity):
	// counted, not failed.
	kindNotModelled = "not modelled"
)

// mismatch is one flow the engine and Cilium do not agree on.
type mismatch struct {
	kind     string
	src, dst endpoint
	x        portProto
	explicit bool // asked with the port, else read from allowedPorts
	eng      engineVerdict
	orc      oracleVerdict
	// srcID and dstID are the labels of the ends' Cilium identities.
	srcID, dstID []string
}

func (m mismatch) question() string {
	if m.explicit {
		return fmt.Sprintf("kubectl netpol can %s %s", m.src.name(), destArg(m.dst, m.x))
	}
	return fmt.Sprintf("allowedPorts of: kubectl netpol can %s %s", m.src.name(), m.dst.name())
}

func (m mismatch) String() string {
	return fmt.Sprintf("%s -> %s port %s   [%s]", m.src, m.dst, m.x, m.question())
}

func verdict(b bool) string {
	if b {
		return "allowed"
	}
	return "denied"
}

// describe says both verdicts and the engine's trace.
func (m mismatch) describe() string {
	var b strings.Builder
	e := m.eng
	engine := fmt.Sprintf("%s (egress %s, ingress %s)", verdict(e.allowed), verdict(e.egress), verdict(e.ingress))
	if !e.decided {
		engine = "UNDECIDED, depends on: " + strings.Join(e.dependsOn, "; ") + "; as judged: " + engine
	}
	fmt.Fprintf(&b, "  engine: %s\n", engine)
	fmt.Fprintf(&b, "  cilium: %s (egress %s, ingress %s)\n", verdict(m.orc.Allowed), m.orc.Egress, m.orc.Ingress)
	if m.orc.EgressBy != "" {
		fmt.Fprintf(&b, "    egress decided by %s\n", m.orc.EgressBy)
	}
	if m.orc.IngressBy != "" {
		fmt.Fprintf(&b, "    ingress decided by %s\n", m.orc.IngressBy)
	}
	fmt.Fprintf(&b, "    identity of %s: %s\n", m.src.name(), strings.Join(m.srcID, " "))
	fmt.Fprintf(&b, "    identity of %s: %s\n", m.dst.name(), strings.Join(m.dstID, " "))
	b.WriteString("  engine trace:\n")
	b.WriteString(traceText(e.pair))
	return b.String()
}

// stats counts the flows of a run.
type stats struct {
	flows      int            // flows compared
	allowed    int            // of which Cilium allowed
	mismatches map[string]int // by kind
	// unasked are flows of undecided port-less answers not asked with
	// their port (counted as undecided, not compared).
	unasked int
	// dependsOn tallies what undecided answers depend on.
	dependsOn map[string]int
	// notModelled counts the flows undecided only on what the engine does
	// not model (kindNotModelled).
	notModelled int
}

func (s *stats) add(o stats) {
	s.flows += o.flows
	s.allowed += o.allowed
	s.unasked += o.unasked
	for k, n := range o.mismatches {
		inc(&s.mismatches, k, n)
	}
	for k, n := range o.dependsOn {
		inc(&s.dependsOn, k, n)
	}
	s.notModelled += o.notModelled
}

// inc adds n to (*m)[k], dropping keys that reach 0.
func inc(m *map[string]int, k string, n int) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[k] += n
	if (*m)[k] == 0 {
		delete(*m, k)
	}
}

// classify compares one flow.
func classify(e engineVerdict, o oracleVerdict) string {
	switch {
	case !e.decided && notModelled(e.dependsOn):
		return kindNotModelled
	case !e.decided:
		return kindUndecided
	case e.allowed != o.Allowed:
		return kindVerdict
	case e.egress != halfAllowed(o.Egress) || e.ingress != halfAllowed(o.Ingress):
		return kindHalf
	}
	return ""
}

// compareCluster judges every pair of ps with the engine over engC and the
// oracle over orcC (the same cluster, except when a test plants a
// difference).
func compareCluster(engC, orcC Cluster, ps []pair, orc *oracle) (mms []mismatch, st stats, err error) {
	var flows []oracleFlow
	for _, p := range ps {
		for _, x := range p.all {
			flows = append(flows, oracleFlow{From: p.src.name(), To: p.dst.name(), Protocol: string(x.proto), Port: uint16(x.port)})
		}
	}
	sc, err := scenarioOf(orcC, flows)
	if err != nil {
		return nil, st, err
	}
	res, err := orc.ask(sc)
	if err != nil {
		return nil, st, err
	}
	if errs := res.policyErrors(); len(errs) > 0 {
		return nil, st, fmt.Errorf("generator bug: Cilium rejects generated policies:\n  %s", strings.Join(errs, "\n  "))
	}
	eng, err := newEngine(engC)
	if err != nil {
		return nil, st, err
	}
	k := 0
	for _, p := range ps {
		ans, err := eng.ask(p.src.name(), p.dst.name())
		if err != nil {
			return nil, st, err
		}
		for _, x := range p.all {
			ov := res.Flows[k]
			k++
			check := func(ev engineVerdict, explicit bool) {
				st.flows++
				if ov.Allowed {
					st.allowed++
				}
				kind := classify(ev, ov)
				if kind == kindNotModelled {
					st.notModelled++
					kind = ""
				}
				if kind != "" {
					inc(&st.mismatches, kind, 1)
					if kind == kindUndecided {
						for _, d := range ev.dependsOn {
							inc(&st.dependsOn, d, 1)
						}
					}
					mms = append(mms, mismatch{kind: kind, src: p.src, dst: p.dst, x: x, explicit: explicit, eng: ev, orc: ov,
						srcID: res.identity(p.src.name()), dstID: res.identity(p.dst.name())})
				}
			}
			if ans.Decided {
				check(portless(ans, x), false)
			} else if !p.explicit[x] {
				st.unasked++
			}
			if p.explicit[x] {
				a, err := eng.ask(p.src.name(), destArg(p.dst, x))
				if err != nil {
					return nil, st, err
				}
				check(explicit(a), true)
			}
		}
	}
	return mms, st, nil
}

// sortMismatches puts verdict mismatches first, then halves, then
// undecided ones; in flow order within a kind.
func sortMismatches(mms []mismatch) {
	rank := map[string]int{kindVerdict: 0, kindHalf: 1, kindUndecided: 2}
	sort.SliceStable(mms, func(i, j int) bool { return rank[mms[i].kind] < rank[mms[j].kind] })
}

// notModelled tells whether an undecided answer depends only on the API
// server's addresses, which the engine does not read (kube-apiserver).
func notModelled(dependsOn []string) bool {
	for _, d := range dependsOn {
		if !strings.Contains(d, "the API server's addresses are not among the objects read") {
			return false
		}
	}
	return len(dependsOn) > 0
}
