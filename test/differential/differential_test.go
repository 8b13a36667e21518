package differential

import (
	"flag"
	"fmt"
	"math/rand"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

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
	flagPorts      = flag.Int("ports", int(envInt("NETPOL_DIFF_PORTS", 3)), "random explicit-port questions per pair besides the destination's declared ports; -1 = every candidate port (slow) (env NETPOL_DIFF_PORTS)")
	flagMaxReports = flag.Int("max-reports", int(envInt("NETPOL_DIFF_MAX_REPORTS", 10)), "mismatches reported in detail, each with a shrunk reproducer (env NETPOL_DIFF_MAX_REPORTS)")
	flagDump       = flag.Bool("dump", os.Getenv("NETPOL_DIFF_DUMP") != "", "also log the whole generated cluster of each failing seed (env NETPOL_DIFF_DUMP)")
	flagFamily     = flag.String("family", os.Getenv("NETPOL_DIFF_FAMILY"), "generate only clusters of this family: np, cnp or anp; empty: a random family per cluster (env NETPOL_DIFF_FAMILY)")
)

// probe is one question: the first packet of a connection from src to
// dst on port/proto, asked with the port (explicit) or read from the
// allowedPorts of a port-less question (portless).
type probe struct {
	src, dst       endpoint
	port           int32
	proto          corev1.Protocol
	portless       bool
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
	if p.portless {
		return fmt.Sprintf("%s -> %s port %d/%s   [allowedPorts of: kubectl netpol can %s %s]", p.src, p.dst, p.port, p.proto, p.srcArg, p.dstArg)
	}
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
// numbers just inside and just outside it. Always also 1, 80, 65535 and a
// number nothing mentions.
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
	addNumber := func(n int32) { add(n-1, n, n+1) }
	addCNP := func(ps []npav1alpha2.ClusterNetworkPolicyProtocol) {
		for _, p := range ps {
			for _, d := range []*npav1alpha2.Port{cnpDestinationPort(p)} {
				if d == nil {
					continue
				}
				if d.Number != 0 {
					addNumber(d.Number)
				}
				if d.Range != nil {
					addNumber(d.Range.Start)
					addNumber(d.Range.End)
				}
			}
		}
	}
	for _, cnp := range c.CNPs {
		for _, r := range cnp.Spec.Ingress {
			addCNP(r.Protocols)
		}
		for _, r := range cnp.Spec.Egress {
			addCNP(r.Protocols)
		}
	}
	addANP := func(ps *[]npav1alpha1.AdminNetworkPolicyPort) {
		if ps == nil {
			return
		}
		for _, p := range *ps {
			if p.PortNumber != nil {
				addNumber(p.PortNumber.Port)
			}
			if p.PortRange != nil {
				addNumber(p.PortRange.Start)
				addNumber(p.PortRange.End)
			}
		}
	}
	for _, anp := range c.ANPs {
		for _, r := range anp.Spec.Ingress {
			addANP(r.Ports)
		}
		for _, r := range anp.Spec.Egress {
			addANP(r.Ports)
		}
	}
	if b := c.BANP; b != nil {
		for _, r := range b.Spec.Ingress {
			addANP(r.Ports)
		}
		for _, r := range b.Spec.Egress {
			addANP(r.Ports)
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

// pairProbes are the questions about one (source, destination) pair: one
// port-less question whose allowedPorts is checked at every candidate
// (port, protocol), and explicit-port questions for each declared container
// port of the destination (with its own protocol and the next one) plus
// `sample` random candidates (all candidates when sample < 0).
type pairProbes struct {
	src, dst endpoint
	all      []portProto
	explicit []portProto
}

func makePairProbes(r *rand.Rand, src, dst endpoint, cands []int32, sample int) pairProbes {
	pp := pairProbes{src: src, dst: dst}
	for _, n := range cands {
		for _, proto := range protocols {
			pp.all = append(pp.all, portProto{n, proto})
		}
	}
	seen := map[portProto]bool{}
	add := func(x portProto) {
		if !seen[x] {
			seen[x] = true
			pp.explicit = append(pp.explicit, x)
		}
	}
	if dst.pod != nil {
		for _, ctr := range dst.pod.Spec.Containers {
			for _, cp := range ctr.Ports {
				proto := cp.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				add(portProto{cp.ContainerPort, proto})
				other := protocols[(slices.Index(protocols, proto)+1)%len(protocols)]
				add(portProto{cp.ContainerPort, other})
			}
		}
	}
	if sample < 0 {
		for _, x := range pp.all {
			add(x)
		}
	} else {
		for i := 0; i < sample; i++ {
			add(pick(r, pp.all))
		}
	}
	return pp
}

func (pp pairProbes) probe(x portProto, portless bool) probe {
	p := probe{src: pp.src, dst: pp.dst, port: x.port, proto: x.proto, portless: portless, srcArg: endpointArg(pp.src)}
	if portless {
		p.dstArg = endpointArg(pp.dst)
	} else {
		p.dstArg = destArg(pp.dst, x.port, x.proto)
	}
	return p
}

// pairs lists the (source, destination) pairs checked in a cluster: every
// ordered pair of distinct same-family pods, every pod to every external
// address of its family and back.
func pairs(r *rand.Rand, c Cluster, sample int) []pairProbes {
	cands := candidatePorts(c)
	var ps []pairProbes
	for _, s := range c.Pods {
		se := endpoint{pod: s, ip: s.Status.PodIP}
		for _, d := range c.Pods {
			if s == d || isV6(s.Status.PodIP) != isV6(d.Status.PodIP) {
				continue
			}
			ps = append(ps, makePairProbes(r, se, endpoint{pod: d, ip: d.Status.PodIP}, cands, sample))
		}
		externals := ExternalIPv4
		if isV6(s.Status.PodIP) {
			externals = ExternalIPv6
		}
		for _, ext := range externals {
			ps = append(ps, makePairProbes(r, se, endpoint{ip: ext}, cands, sample))
			ps = append(ps, makePairProbes(r, endpoint{ip: ext}, se, cands, sample))
		}
	}
	return ps
}

// checker evaluates questions on one cluster with both implementations.
type checker struct {
	snap       *query.Snapshot
	ref        *Reference
	refCluster Cluster // what the reference got (defaulted)
	// namedPortRefs are references over resolveV1alpha1NamedPorts, per
	// destination pod, built when needed (see explain).
	namedPortRefs map[string]*Reference
}

func newChecker(c Cluster) (*checker, error) {
	return newCheckerWith(c, APIServerDefaults(c))
}

// newCheckerWith gives the engine c and the reference refCluster (normally
// APIServerDefaults(c); the harness self-test plants a difference).
func newCheckerWith(c, refCluster Cluster) (*checker, error) {
	objs := make([]k8sruntime.Object, 0, len(c.Namespaces)+len(c.Pods)+len(c.Policies))
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
	cps, err := clusterPolicyObjects(c)
	if err != nil {
		return nil, err
	}
	objs = append(objs, cps...)
	snap, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("engine: NewSnapshot: %w", err)
	}
	ref, err := NewReference(refCluster)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	return &checker{snap: snap, ref: ref, refCluster: refCluster}, nil
}

func (ch *checker) close() {
	ch.ref.Close()
	for _, r := range ch.namedPortRefs {
		r.Close()
	}
}

func (ch *checker) ask(srcArg, dstArg string) (*query.Answer, error) {
	flow, err := query.ParseFlow([]string{srcArg, dstArg})
	if err != nil {
		return nil, fmt.Errorf("engine: ParseFlow(%q, %q): %w", srcArg, dstArg, err)
	}
	ans, err := ch.snap.Can(flow, "default")
	if err != nil {
		return nil, fmt.Errorf("engine: Can(%q, %q): %w", srcArg, dstArg, err)
	}
	return ans, nil
}

// engine is the engine's verdict on p.
func (ch *checker) engine(p probe) (bool, error) {
	ans, err := ch.ask(p.srcArg, p.dstArg)
	if err != nil {
		return false, err
	}
	if p.portless {
		return ans.AllowedPorts.Contains(p.proto, p.port), nil
	}
	return ans.Allowed, nil
}

func (ch *checker) reference(p probe) (bool, error) {
	return ch.ref.Allowed(p.src.ip, p.dst.ip, int(p.port), p.proto)
}

// runStats counts the flows of a run.
type runStats struct {
	flows   int            // flows checked
	allowed int            // of which the reference allowed
	known   map[string]int // mismatching flows explained by a known divergence, by divergence
}

func (s *runStats) add(o runStats) {
	s.flows += o.flows
	s.allowed += o.allowed
	for k, n := range o.known {
		if s.known == nil {
			s.known = map[string]int{}
		}
		s.known[k] += n
	}
}

func (s runStats) knownTotal() int {
	n := 0
	for _, k := range s.known {
		n += k
	}
	return n
}

// compare records the engine's verdict got against the reference's want
// for p: a mismatch unless they agree or a known divergence explains it.
func (ch *checker) compare(p probe, got, want bool, st *runStats, mms *[]mismatch, errs *[]error) {
	st.flows++
	if want {
		st.allowed++
	}
	if got == want {
		return
	}
	kind, err := ch.explain(p, got)
	switch {
	case err != nil:
		*errs = append(*errs, fmt.Errorf("%s: reference: %w", p, err))
	case kind != "":
		if st.known == nil {
			st.known = map[string]int{}
		}
		st.known[kind]++
	default:
		*mms = append(*mms, mismatch{p, got, want})
	}
}

// portClasses groups the (port, protocol) candidates of a cluster into
// classes the reference cannot tell apart, so that run asks the reference
// once per class and pair instead of once per candidate (the reference is
// the slow side: it re-parses every label selector on every packet).
//
// The reference looks at a flow's destination port only through these
// predicates: equality with a policy port number or with a container port
// (named ports: NetworkPolicy and v1alpha2 compare the named container
// port's number; v1alpha1 compares names only), and membership in a policy
// port range. Two candidates with the same protocol and the same answer to
// every one of them get the same verdict for the same pair.
type portClasses struct {
	numbers map[int32]bool
	ranges  [][2]int32
}

func newPortClasses(c Cluster) *portClasses {
	pc := &portClasses{numbers: map[int32]bool{}}
	for _, p := range c.Pods {
		for _, ctr := range p.Spec.Containers {
			for _, cp := range ctr.Ports {
				pc.numbers[cp.ContainerPort] = true
			}
		}
	}
	rng := func(lo, hi int32) { pc.ranges = append(pc.ranges, [2]int32{lo, hi}) }
	npPorts := func(ps []networkingv1.NetworkPolicyPort) {
		for _, pp := range ps {
			if pp.Port == nil || pp.Port.Type != intstr.Int {
				continue
			}
			pc.numbers[pp.Port.IntVal] = true
			if pp.EndPort != nil {
				rng(pp.Port.IntVal, *pp.EndPort)
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
	cnpPorts := func(ps []npav1alpha2.ClusterNetworkPolicyProtocol) {
		for _, p := range ps {
			if d := cnpDestinationPort(p); d != nil {
				if d.Number != 0 {
					pc.numbers[d.Number] = true
				}
				if d.Range != nil {
					rng(d.Range.Start, d.Range.End)
				}
			}
		}
	}
	for _, cnp := range c.CNPs {
		for _, r := range cnp.Spec.Ingress {
			cnpPorts(r.Protocols)
		}
		for _, r := range cnp.Spec.Egress {
			cnpPorts(r.Protocols)
		}
	}
	anpPorts := func(ps *[]npav1alpha1.AdminNetworkPolicyPort) {
		if ps == nil {
			return
		}
		for _, p := range *ps {
			if p.PortNumber != nil {
				pc.numbers[p.PortNumber.Port] = true
			}
			if p.PortRange != nil {
				rng(p.PortRange.Start, p.PortRange.End)
			}
		}
	}
	for _, anp := range c.ANPs {
		for _, r := range anp.Spec.Ingress {
			anpPorts(r.Ports)
		}
		for _, r := range anp.Spec.Egress {
			anpPorts(r.Ports)
		}
	}
	if b := c.BANP; b != nil {
		for _, r := range b.Spec.Ingress {
			anpPorts(r.Ports)
		}
		for _, r := range b.Spec.Egress {
			anpPorts(r.Ports)
		}
	}
	return pc
}

func (pc *portClasses) key(x portProto) string {
	var b strings.Builder
	b.WriteString(string(x.proto))
	if pc.numbers[x.port] {
		fmt.Fprintf(&b, "=%d", x.port)
	}
	b.WriteByte(' ')
	for _, r := range pc.ranges {
		if r[0] <= x.port && x.port <= r[1] {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// run checks every pair of a cluster and returns the mismatches and the
// counts of flows.
func (ch *checker) run(ps []pairProbes) (mms []mismatch, st runStats, errs []error) {
	classes := newPortClasses(ch.refCluster)
	for _, pp := range ps {
		byClass := map[string]bool{} // reference verdicts for this pair
		reference := func(p probe, x portProto) (bool, error) {
			k := classes.key(x)
			if w, ok := byClass[k]; ok {
				return w, nil
			}
			w, err := ch.reference(p)
			if err == nil {
				byClass[k] = w
			}
			return w, err
		}
		ans, err := ch.ask(endpointArg(pp.src), endpointArg(pp.dst))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		want := map[portProto]bool{}
		for _, x := range pp.all {
			p := pp.probe(x, true)
			w, err := reference(p, x)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: reference: %w", p, err))
				continue
			}
			want[x] = w
			ch.compare(p, ans.AllowedPorts.Contains(x.proto, x.port), w, &st, &mms, &errs)
		}
		for _, x := range pp.explicit {
			p := pp.probe(x, false)
			got, err := ch.engine(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			w, ok := want[x]
			if !ok {
				if w, err = reference(p, x); err != nil {
					errs = append(errs, fmt.Errorf("%s: reference: %w", p, err))
					continue
				}
			}
			ch.compare(p, got, w, &st, &mms, &errs)
		}
	}
	return mms, st, errs
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

type clusterResult struct {
	seed     int64
	cluster  Cluster
	mms      []mismatch
	stats    runStats
	errs     []error
	setupErr error
}

func checkCluster(seed int64, sample int) clusterResult {
	res := clusterResult{seed: seed, cluster: GenerateFamily(rand.New(rand.NewSource(seed)), Family(*flagFamily))}
	if err := Validate(res.cluster); err != nil {
		res.setupErr = fmt.Errorf("generator produced an invalid cluster: %w", err)
		return res
	}
	ch, err := newChecker(res.cluster)
	if err != nil {
		res.setupErr = err
		return res
	}
	defer ch.close()
	res.mms, res.stats, res.errs = ch.run(pairs(rand.New(rand.NewSource(seed)), res.cluster, sample))
	return res
}

func TestDifferential(t *testing.T) {
	switch f := Family(*flagFamily); f {
	case "", FamilyNP, FamilyCNP, FamilyANP:
	default:
		t.Fatalf("-family %q: want one of %v or empty", f, Families)
	}
	seeds := make([]int64, 0, *flagClusters)
	if *flagSeed >= 0 {
		seeds = append(seeds, *flagSeed)
	} else {
		for i := int64(0); i < *flagClusters; i++ {
			seeds = append(seeds, *flagFirstSeed+i)
		}
	}
	start := time.Now()
	results := make([]clusterResult, len(seeds))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Go(func() {
			for i := range next {
				results[i] = checkCluster(seeds[i], *flagPorts)
			}
		})
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()

	var total runStats
	var failedClusters, reported int
	perFamily := map[Family]*runStats{}
	clustersPerFamily := map[Family]int{}
	for _, res := range results {
		seed, c := res.seed, res.cluster
		total.add(res.stats)
		if perFamily[c.Family] == nil {
			perFamily[c.Family] = &runStats{}
		}
		perFamily[c.Family].add(res.stats)
		clustersPerFamily[c.Family]++
		if res.setupErr != nil {
			failedClusters++
			t.Errorf("seed %d: %v\n%s", seed, res.setupErr, ClusterYAML(c))
			continue
		}
		for i, err := range res.errs {
			if i == 3 {
				t.Errorf("seed %d: ... %d more errors", seed, len(res.errs)-i)
				break
			}
			t.Errorf("seed %d: %v", seed, err)
		}
		if len(res.mms) == 0 && len(res.errs) == 0 {
			continue
		}
		failedClusters++
		if len(res.mms) == 0 {
			continue
		}
		t.Errorf("seed %d (family %s): %d mismatching flows (rerun: go test -run TestDifferential -count=1 -args -seed=%d)", seed, c.Family, len(res.mms), seed)
		if *flagDump {
			t.Logf("seed %d: cluster:\n%s", seed, ClusterYAML(c))
		}
		for _, m := range res.mms {
			if reported >= *flagMaxReports {
				break
			}
			reported++
			t.Errorf("seed %d: MISMATCH %s\n  engine: %s, kube-network-policies: %s\n%s",
				seed, m.probe, verdict(m.engine), verdict(m.reference), involved(c, m.probe))
			if small, sp, ok := shrink(c, m.probe); ok {
				e, r, _, _ := verdicts(small, sp)
				t.Errorf("seed %d: shrunk reproducer for the mismatch above: %s\n  engine: %s, kube-network-policies: %s\n%s",
					seed, sp, verdict(e), verdict(r), indent(ClusterYAML(small)))
			}
		}
	}
	t.Logf("%d clusters, %d flows checked (%d allowed by the reference), %d known-divergence flows, %d clusters with mismatches or errors, %v",
		len(seeds), total.flows, total.allowed, total.knownTotal(), failedClusters, time.Since(start).Round(time.Millisecond))
	for _, f := range Families {
		st := perFamily[f]
		if st == nil {
			continue
		}
		t.Logf("  family %-3s: %4d clusters, %8d flows (%d allowed by the reference), %d known-divergence flows", f, clustersPerFamily[f], st.flows, st.allowed, st.knownTotal())
		for _, k := range sortedKeys(st.known) {
			t.Logf("    known divergence: %s: %d flows", k, st.known[k])
		}
		if st.flows > 0 && (st.allowed == 0 || st.allowed == st.flows) {
			t.Errorf("degenerate run of family %s: %d of %d flows allowed", f, st.allowed, st.flows)
		}
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
	cnps, anps, banp := clusterPoliciesSelecting(c, pods)
	var cluster strings.Builder
	cluster.WriteString(ObjectsYAML(cnps))
	cluster.WriteString(ObjectsYAML(anps))
	if banp != nil {
		cluster.WriteString(ObjectsYAML([]*npav1alpha1.BaselineAdminNetworkPolicy{banp}))
	}
	if len(pols) == 0 && cluster.Len() == 0 {
		b.WriteString("  no policy selects the source or the destination\n")
	} else {
		b.WriteString("  policies selecting the source or the destination:\n")
		b.WriteString(indent(ObjectsYAML(pols) + cluster.String()))
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

// verdicts evaluates p in c with both implementations; explained is the
// known divergence that explains a difference, if any.
func verdicts(c Cluster, p probe) (engine, reference bool, explained string, err error) {
	if err := Validate(c); err != nil {
		return false, false, "", err
	}
	ch, err := newChecker(c)
	if err != nil {
		return false, false, "", err
	}
	defer ch.close()
	if engine, err = ch.engine(p); err != nil {
		return false, false, "", err
	}
	if reference, err = ch.reference(p); err != nil {
		return false, false, "", err
	}
	if engine != reference {
		if explained, err = ch.explain(p, engine); err != nil {
			return false, false, "", err
		}
	}
	return engine, reference, explained, nil
}

// differs reports whether the engine and the reference disagree on p in c
// and no known divergence explains it.
func differs(c Cluster, p probe) bool {
	e, r, explained, err := verdicts(c, p)
	return err == nil && e != r && explained == ""
}

func (c Cluster) deepCopy() Cluster {
	out := Cluster{Family: c.Family}
	for _, o := range c.CNPs {
		out.CNPs = append(out.CNPs, o.DeepCopy())
	}
	for _, o := range c.ANPs {
		out.ANPs = append(out.ANPs, o.DeepCopy())
	}
	if c.BANP != nil {
		out.BANP = c.BANP.DeepCopy()
	}
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
	ms = append(ms, clusterPolicyMutations(c)...)
	// Inside policies.
	for i, np := range c.Policies {
		pol := func(c *Cluster) *networkingv1.NetworkPolicySpec { return &c.Policies[i].Spec }
		for j := range np.Spec.PolicyTypes {
			ms = append(ms, func(c *Cluster) bool { pol(c).PolicyTypes = slices.Delete(pol(c).PolicyTypes, j, j+1); return true })
		}
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

// TestHarnessDetectsPlantedBug guards against a harness that cannot fail:
// when the reference is given `ingress: []` as written (skipping the API
// server dropping the empty list, so KNP reads it as "allow all"), the
// comparison must find mismatches.
func TestHarnessDetectsPlantedBug(t *testing.T) {
	for seed := int64(1); seed <= 100; seed++ {
		c := GenerateFamily(rand.New(rand.NewSource(seed)), FamilyNP)
		planted := APIServerDefaults(c)
		found := false
		for i, np := range c.Policies {
			if np.Spec.Ingress != nil && len(np.Spec.Ingress) == 0 && slices.Contains(planted.Policies[i].Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
				planted.Policies[i].Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{}
				found = true
			}
		}
		if !found {
			continue
		}
		ch, err := newCheckerWith(c, planted)
		if err != nil {
			t.Fatal(err)
		}
		mms, _, errs := ch.run(pairs(rand.New(rand.NewSource(seed)), c, 0))
		ch.close()
		if len(errs) > 0 {
			t.Fatal(errs[0])
		}
		if len(mms) > 0 {
			return
		}
	}
	t.Fatal("the planted reference bug went unnoticed in 100 clusters")
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
