package differential

import (
	"flag"
	"fmt"
	"math/rand"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

var (
	flagClusters   = flag.Int64("clusters", envInt("NETPOL_DIFF_CLUSTERS", 200), "number of random clusters (env NETPOL_DIFF_CLUSTERS)")
	flagFirstSeed  = flag.Int64("first-seed", envInt("NETPOL_DIFF_FIRST_SEED", 1), "seed of the first cluster; cluster i uses first-seed+i (env NETPOL_DIFF_FIRST_SEED)")
	flagSeed       = flag.Int64("seed", envInt("NETPOL_DIFF_SEED", -1), "run only the cluster of this seed (env NETPOL_DIFF_SEED)")
	flagPorts      = flag.Int("ports", int(envInt("NETPOL_DIFF_PORTS", 0)), "sampled (port, protocol) probes per flow pair besides the destination's declared ports; 0 = every candidate (env NETPOL_DIFF_PORTS)")
	flagMaxReports = flag.Int("max-reports", int(envInt("NETPOL_DIFF_MAX_REPORTS", 10)), "mismatches reported in detail, each with a shrunk reproducer (env NETPOL_DIFF_MAX_REPORTS)")
	flagDump       = flag.Bool("dump", os.Getenv("NETPOL_DIFF_DUMP") != "", "also log the whole generated cluster of each failing seed (env NETPOL_DIFF_DUMP)")
)

// probe is one flow: the first packet of a connection.
type probe struct {
	src, dst       endpoint
	port           int32
	proto          corev1.Protocol
	srcArg, dstArg string // engine syntax
}

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

func (p probe) String() string {
	return fmt.Sprintf("%s -> %s port %d/%s   [kubectl netpol can %s %s]", p.src, p.dst, p.port, p.proto, p.srcArg, p.dstArg)
}

func endpointArg(e endpoint) string {
	if e.pod != nil {
		return e.pod.Namespace + "/" + e.pod.Name
	}
	return e.ip
}

func destArg(e endpoint, port int32, proto corev1.Protocol) string {
	host := endpointArg(e)
	if e.pod == nil && strings.Contains(e.ip, ":") {
		host = "[" + e.ip + "]"
	}
	return fmt.Sprintf("%s:%d/%s", host, port, strings.ToLower(string(proto)))
}

func isV6(ip string) bool { return strings.Contains(ip, ":") }

// candidatePorts are the port numbers worth probing in a cluster: every
// declared container port and, around every policy port and range, the
// numbers just inside and just outside it. Always also 1, 80 and 65535 and
// a number nothing mentions.
func candidatePorts(c Cluster) []int32 {
	set := map[int32]bool{1: true, 80: true, 12345: true, 65535: true}
	add := func(ns ...int32) {
		for _, n := range ns {
			if n >= 1 && n <= 65535 {
				set[n] = true
			}
		}
	}
	for _, p := range c.Pods {
		for _, ctr := range p.Spec.Containers {
			for _, cp := range ctr.Ports {
				add(cp.ContainerPort)
			}
		}
	}
	addPorts := func(ps []networkingv1.NetworkPolicyPort) {
		for _, pp := range ps {
			if pp.Port == nil || pp.Port.Type != intstr.Int {
				continue
			}
			add(pp.Port.IntVal-1, pp.Port.IntVal, pp.Port.IntVal+1)
			if pp.EndPort != nil {
				add(*pp.EndPort-1, *pp.EndPort, *pp.EndPort+1)
			}
		}
	}
	for _, np := range c.Policies {
		for _, r := range np.Spec.Ingress {
			addPorts(r.Ports)
		}
		for _, r := range np.Spec.Egress {
			addPorts(r.Ports)
		}
	}
	out := make([]int32, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

type portProto struct {
	port  int32
	proto corev1.Protocol
}

// portsFor returns the probes for traffic to dst: each declared container
// port of dst with every protocol, plus candidates (all of them, or a
// sample of `sample` when sample > 0).
func portsFor(r *rand.Rand, dst *corev1.Pod, cands []int32, sample int) []portProto {
	seen := map[portProto]bool{}
	var out []portProto
	add := func(pp portProto) {
		if !seen[pp] {
			seen[pp] = true
			out = append(out, pp)
		}
	}
	if dst != nil {
		for _, ctr := range dst.Spec.Containers {
			for _, cp := range ctr.Ports {
				for _, proto := range protocols {
					add(portProto{cp.ContainerPort, proto})
				}
			}
		}
	}
	if sample <= 0 || sample >= len(cands)*len(protocols) {
		for _, n := range cands {
			for _, proto := range protocols {
				add(portProto{n, proto})
			}
		}
		return out
	}
	for i := 0; i < sample; i++ {
		add(portProto{pick(r, cands), pick(r, protocols)})
	}
	return out
}

// probes lists the flows checked in a cluster: every ordered pair of
// distinct same-family pods, every pod to every external address of its
// family and back.
func probes(r *rand.Rand, c Cluster, sample int) []probe {
	cands := candidatePorts(c)
	var ps []probe
	addFlows := func(src, dst endpoint) {
		for _, pp := range portsFor(r, dst.pod, cands, sample) {
			ps = append(ps, probe{src: src, dst: dst, port: pp.port, proto: pp.proto,
				srcArg: endpointArg(src), dstArg: destArg(dst, pp.port, pp.proto)})
		}
	}
	for _, s := range c.Pods {
		se := endpoint{pod: s, ip: s.Status.PodIP}
		for _, d := range c.Pods {
			if s == d || isV6(s.Status.PodIP) != isV6(d.Status.PodIP) {
				continue
			}
			addFlows(se, endpoint{pod: d, ip: d.Status.PodIP})
		}
		externals := ExternalIPv4
		if isV6(s.Status.PodIP) {
			externals = ExternalIPv6
		}
		for _, ext := range externals {
			addFlows(se, endpoint{ip: ext})
			addFlows(endpoint{ip: ext}, se)
		}
	}
	return ps
}

// checker evaluates flows on one cluster with both implementations.
type checker struct {
	snap *query.Snapshot
	ref  *Reference
}

func newChecker(c Cluster) (*checker, error) {
	objs := make([]runtime.Object, 0, len(c.Namespaces)+len(c.Pods)+len(c.Policies))
	// The engine gets the raw objects: it must do the API server's
	// defaulting itself.
	for _, o := range c.Namespaces {
		objs = append(objs, o.DeepCopy())
	}
	for _, o := range c.Pods {
		objs = append(objs, o.DeepCopy())
	}
	for _, o := range c.Policies {
		objs = append(objs, o.DeepCopy())
	}
	snap, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("engine: NewSnapshot: %w", err)
	}
	ref, err := NewReference(APIServerDefaults(c))
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	return &checker{snap: snap, ref: ref}, nil
}

func (ch *checker) close() { ch.ref.Close() }

func (ch *checker) engine(p probe) (bool, error) {
	flow, err := query.ParseFlow([]string{p.srcArg, p.dstArg})
	if err != nil {
		return false, fmt.Errorf("engine: ParseFlow(%q, %q): %w", p.srcArg, p.dstArg, err)
	}
	ans, err := ch.snap.Can(flow, "default")
	if err != nil {
		return false, fmt.Errorf("engine: Can(%q, %q): %w", p.srcArg, p.dstArg, err)
	}
	return ans.Allowed, nil
}

func (ch *checker) reference(p probe) (bool, error) {
	return ch.ref.Allowed(p.src.ip, p.dst.ip, int(p.port), p.proto)
}

type mismatch struct {
	probe     probe
	engine    bool
	reference bool
}

func verdict(b bool) string {
	if b {
		return "allowed"
	}
	return "denied"
}

func TestDifferential(t *testing.T) {
	seeds := make([]int64, 0, *flagClusters)
	if *flagSeed >= 0 {
		seeds = append(seeds, *flagSeed)
	} else {
		for i := int64(0); i < *flagClusters; i++ {
			seeds = append(seeds, *flagFirstSeed+i)
		}
	}
	start := time.Now()
	var flows, allowed, failedClusters, reported int
	for _, seed := range seeds {
		c := Generate(rand.New(rand.NewSource(seed)))
		if err := Validate(c); err != nil {
			t.Fatalf("seed %d: generator produced an invalid cluster: %v", seed, err)
		}
		ch, err := newChecker(c)
		if err != nil {
			t.Errorf("seed %d: %v\n%s", seed, err, ClusterYAML(c))
			failedClusters++
			continue
		}
		var mms []mismatch
		for _, p := range probes(rand.New(rand.NewSource(seed)), c, *flagPorts) {
			flows++
			got, err := ch.engine(p)
			if err != nil {
				t.Errorf("seed %d: %s: %v", seed, p, err)
				continue
			}
			want, err := ch.reference(p)
			if err != nil {
				t.Fatalf("seed %d: %s: reference: %v", seed, p, err)
			}
			if want {
				allowed++
			}
			if got != want {
				mms = append(mms, mismatch{p, got, want})
			}
		}
		ch.close()
		if len(mms) == 0 {
			continue
		}
		failedClusters++
		t.Errorf("seed %d: %d mismatching flows (rerun: go test -run TestDifferential -count=1 -args -seed=%d)", seed, len(mms), seed)
		if *flagDump {
			t.Logf("seed %d: cluster:\n%s", seed, ClusterYAML(c))
		}
		for _, m := range mms {
			if reported >= *flagMaxReports {
				break
			}
			reported++
			t.Errorf("seed %d: MISMATCH %s\n  engine: %s, kube-network-policies: %s\n%s",
				seed, m.probe, verdict(m.engine), verdict(m.reference), involved(c, m.probe))
			if small, sp, ok := shrink(c, m.probe); ok {
				t.Errorf("seed %d: shrunk reproducer for the mismatch above (%s -> engine %s, kube-network-policies %s):\n%s",
					seed, sp, verdict(!m.reference), verdict(m.reference), ClusterYAML(small))
			}
		}
	}
	t.Logf("%d clusters, %d flows (%d allowed by the reference), %d clusters with mismatches, %v",
		len(seeds), flows, allowed, failedClusters, time.Since(start).Round(time.Millisecond))
	if flows > 0 && (allowed == 0 || allowed == flows) {
		t.Errorf("degenerate run: %d of %d flows allowed", allowed, flows)
	}
}

// involved renders the source and destination (pod and namespace) and the
// policies that select either, as written (before defaulting).
func involved(c Cluster, p probe) string {
	var b strings.Builder
	var nss []*corev1.Namespace
	var pods []*corev1.Pod
	var pols []*networkingv1.NetworkPolicy
	for _, e := range []endpoint{p.src, p.dst} {
		if e.pod == nil {
			continue
		}
		pods = append(pods, e.pod)
		for _, ns := range c.Namespaces {
			if ns.Name == e.pod.Namespace && !slices.Contains(nss, ns) {
				nss = append(nss, ns)
			}
		}
		for _, np := range c.Policies {
			if np.Namespace != e.pod.Namespace || slices.Contains(pols, np) {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err == nil && sel.Matches(labels.Set(e.pod.Labels)) {
				pols = append(pols, np)
			}
		}
	}
	b.WriteString("  namespaces and pods:\n")
	b.WriteString(indent(ObjectsYAML(nss) + ObjectsYAML(pods)))
	if len(pols) == 0 {
		b.WriteString("  no policy selects the source or the destination\n")
	} else {
		b.WriteString("  policies selecting the source or the destination:\n")
		b.WriteString(indent(ObjectsYAML(pols)))
	}
	return b.String()
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// differs reports whether the engine and the reference disagree on p in c.
func differs(c Cluster, p probe) bool {
	if Validate(c) != nil {
		return false
	}
	ch, err := newChecker(c)
	if err != nil {
		return false
	}
	defer ch.close()
	got, err := ch.engine(p)
	if err != nil {
		return false
	}
	want, err := ch.reference(p)
	if err != nil {
		return false
	}
	return got != want
}

func (c Cluster) deepCopy() Cluster {
	var out Cluster
	for _, o := range c.Namespaces {
		out.Namespaces = append(out.Namespaces, o.DeepCopy())
	}
	for _, o := range c.Pods {
		out.Pods = append(out.Pods, o.DeepCopy())
	}
	for _, o := range c.Policies {
		out.Policies = append(out.Policies, o.DeepCopy())
	}
	return out
}

// rebind points the probe's pods at the copies in c.
func rebind(c Cluster, p probe) probe {
	find := func(e endpoint) endpoint {
		if e.pod == nil {
			return e
		}
		for _, q := range c.Pods {
			if q.Namespace == e.pod.Namespace && q.Name == e.pod.Name {
				e.pod = q
			}
		}
		return e
	}
	p.src, p.dst = find(p.src), find(p.dst)
	return p
}

// shrink greedily simplifies c while the engine and the reference still
// disagree on p: it drops objects, rules, peers, ports, excepts, selector
// terms, labels and container ports.
func shrink(c Cluster, p probe) (Cluster, probe, bool) {
	if !differs(c, p) {
		return c, p, false
	}
	for changed := true; changed; {
		changed = false
		for _, mut := range mutations(c, p) {
			next := c.deepCopy()
			if !mut(&next) {
				continue
			}
			np := rebind(next, p)
			if differs(next, np) {
				c, p, changed = next, np, true
				break
			}
		}
	}
	return c, p, true
}

type mutation func(c *Cluster) bool

func mutations(c Cluster, p probe) []mutation {
	var ms []mutation
	isEnd := func(pod *corev1.Pod) bool {
		for _, e := range []endpoint{p.src, p.dst} {
			if e.pod != nil && e.pod.Namespace == pod.Namespace && e.pod.Name == pod.Name {
				return true
			}
		}
		return false
	}
	// Whole objects.
	for i := range c.Policies {
		ms = append(ms, func(c *Cluster) bool { c.Policies = slices.Delete(c.Policies, i, i+1); return true })
	}
	for i, pod := range c.Pods {
		if !isEnd(pod) {
			ms = append(ms, func(c *Cluster) bool { c.Pods = slices.Delete(c.Pods, i, i+1); return true })
		}
	}
	for i, ns := range c.Namespaces {
		used := false
		for _, pod := range c.Pods {
			used = used || pod.Namespace == ns.Name
		}
		for _, np := range c.Policies {
			used = used || np.Namespace == ns.Name
		}
		if !used {
			ms = append(ms, func(c *Cluster) bool { c.Namespaces = slices.Delete(c.Namespaces, i, i+1); return true })
		}
	}
	// Inside policies.
	for i, np := range c.Policies {
		pol := func(c *Cluster) *networkingv1.NetworkPolicySpec { return &c.Policies[i].Spec }
		if np.Spec.Ingress != nil {
			ms = append(ms, func(c *Cluster) bool { pol(c).Ingress = nil; return true })
		}
		if np.Spec.Egress != nil {
			ms = append(ms, func(c *Cluster) bool { pol(c).Egress = nil; return true })
		}
		ms = append(ms, selectorMutations(np.Spec.PodSelector, func(c *Cluster) *metav1.LabelSelector { return &pol(c).PodSelector })...)
		for j, r := range np.Spec.Ingress {
			ms = append(ms, func(c *Cluster) bool { pol(c).Ingress = slices.Delete(pol(c).Ingress, j, j+1); return true })
			ms = append(ms, peerMutations(r.From, func(c *Cluster) *[]networkingv1.NetworkPolicyPeer { return &pol(c).Ingress[j].From })...)
			ms = append(ms, portMutations(r.Ports, func(c *Cluster) *[]networkingv1.NetworkPolicyPort { return &pol(c).Ingress[j].Ports })...)
		}
		for j, r := range np.Spec.Egress {
			ms = append(ms, func(c *Cluster) bool { pol(c).Egress = slices.Delete(pol(c).Egress, j, j+1); return true })
			ms = append(ms, peerMutations(r.To, func(c *Cluster) *[]networkingv1.NetworkPolicyPeer { return &pol(c).Egress[j].To })...)
			ms = append(ms, portMutations(r.Ports, func(c *Cluster) *[]networkingv1.NetworkPolicyPort { return &pol(c).Egress[j].Ports })...)
		}
	}
	// Labels and container ports.
	for i, pod := range c.Pods {
		for k := range pod.Labels {
			ms = append(ms, func(c *Cluster) bool { delete(c.Pods[i].Labels, k); return true })
		}
		for ci, ctr := range pod.Spec.Containers {
			for pi := range ctr.Ports {
				ms = append(ms, func(c *Cluster) bool {
					ps := &c.Pods[i].Spec.Containers[ci].Ports
					*ps = slices.Delete(*ps, pi, pi+1)
					return true
				})
			}
		}
	}
	for i, ns := range c.Namespaces {
		for k := range ns.Labels {
			if k != "kubernetes.io/metadata.name" {
				ms = append(ms, func(c *Cluster) bool { delete(c.Namespaces[i].Labels, k); return true })
			}
		}
	}
	return ms
}

func selectorMutations(s metav1.LabelSelector, get func(*Cluster) *metav1.LabelSelector) []mutation {
	var ms []mutation
	for k := range s.MatchLabels {
		ms = append(ms, func(c *Cluster) bool { delete(get(c).MatchLabels, k); return true })
	}
	for i := range s.MatchExpressions {
		ms = append(ms, func(c *Cluster) bool {
			sel := get(c)
			sel.MatchExpressions = slices.Delete(sel.MatchExpressions, i, i+1)
			return true
		})
	}
	return ms
}

func peerMutations(peers []networkingv1.NetworkPolicyPeer, get func(*Cluster) *[]networkingv1.NetworkPolicyPeer) []mutation {
	var ms []mutation
	for i, pe := range peers {
		ms = append(ms, func(c *Cluster) bool { ps := get(c); *ps = slices.Delete(*ps, i, i+1); return true })
		if pe.PodSelector != nil {
			ms = append(ms, selectorMutations(*pe.PodSelector, func(c *Cluster) *metav1.LabelSelector { return (*get(c))[i].PodSelector })...)
			if pe.NamespaceSelector != nil {
				ms = append(ms, func(c *Cluster) bool { (*get(c))[i].PodSelector = nil; return true })
			}
		}
		if pe.NamespaceSelector != nil {
			ms = append(ms, selectorMutations(*pe.NamespaceSelector, func(c *Cluster) *metav1.LabelSelector { return (*get(c))[i].NamespaceSelector })...)
			if pe.PodSelector != nil {
				ms = append(ms, func(c *Cluster) bool { (*get(c))[i].NamespaceSelector = nil; return true })
			}
		}
		if pe.IPBlock != nil {
			for j := range pe.IPBlock.Except {
				ms = append(ms, func(c *Cluster) bool {
					b := (*get(c))[i].IPBlock
					b.Except = slices.Delete(b.Except, j, j+1)
					if len(b.Except) == 0 {
						b.Except = nil
					}
					return true
				})
			}
		}
	}
	return ms
}

func portMutations(ports []networkingv1.NetworkPolicyPort, get func(*Cluster) *[]networkingv1.NetworkPolicyPort) []mutation {
	var ms []mutation
	for i := range ports {
		ms = append(ms, func(c *Cluster) bool { ps := get(c); *ps = slices.Delete(*ps, i, i+1); return true })
	}
	return ms
}

// Make sure the probe helpers agree with the address plan.
func TestProbesUseUnownedExternalIPs(t *testing.T) {
	for seed := int64(0); seed < 200; seed++ {
		c := Generate(rand.New(rand.NewSource(seed)))
		owned := map[netip.Addr]bool{}
		for _, p := range c.Pods {
			owned[netip.MustParseAddr(p.Status.PodIP)] = true
		}
		for _, ext := range append(append([]string{}, ExternalIPv4...), ExternalIPv6...) {
			if owned[netip.MustParseAddr(ext)] {
				t.Fatalf("seed %d: external address %s belongs to a pod", seed, ext)
			}
		}
	}
}
