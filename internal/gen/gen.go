// Package gen generates realistic synthetic clusters for benchmarks and
// randomized checks of the query engine: the objects a dump of a real
// cluster would hold, deterministic for a seed.
//
// A generated cluster has the system namespaces of a typical cluster
// (kube-system with CoreDNS, monitoring with Prometheus and an
// OpenTelemetry agent DaemonSet, ingress-nginx) and application namespaces
// named product-env (payments-prod, search-dev, ...) labelled with
// kubernetes.io/metadata.name, env and team. Each application namespace runs
// frontends, APIs and workers as Deployments (each with its current
// ReplicaSet, sometimes an old one scaled to zero) and databases, caches and
// queues as StatefulSets, with Services, and Pods that are Running, owned
// through controller ownerReferences and carry unique pod IPs (IPv4, or
// dual-stack for some seeds). Services call each other inside a namespace
// and across namespaces of the same environment; NetworkPolicies follow
// those calls.
//
// The NetworkPolicies are the mix real clusters have: default-deny for
// ingress and sometimes egress, DNS egress allowances, allow-lists per
// workload from same-namespace pods, from namespace and pod selectors in one
// peer (AND) or from namespaces alone, matchExpressions, ipBlock egress to
// the internet (with except) and to /32 backends, IPv6 blocks, endPort
// ranges, named ports, omitted policyTypes, and a few stale policies that
// select nothing or whose peers match nothing. Some namespaces have no
// policy at all. Every policy is one the API server accepts.
//
// With Config.CiliumPolicies, the cluster also has CiliumNetworkPolicies
// written for the same calls (cilium.go: default deny as "ingress: [{}]",
// endpoint selectors with Cilium's namespace keys, toCIDRSet, entities,
// deny rules, enableDefaultDeny false, L7 rules) and the cluster-wide
// policies of ClusterwidePolicies, every one valid for Cilium's sanitizer.
//
// The pod and policy counts are exact: Config.Pods pods (DaemonSet pods
// included), Config.Policies NetworkPolicies and Config.CiliumPolicies
// CiliumNetworkPolicies.
//
// Hubble (hubble.go) writes a generated cluster's traffic as the JSON
// lines of "hubble observe -o json", with the counts a reader of
// connections should find in them, to benchmark and check replay.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Config sizes a generated cluster.
type Config struct {
	Pods     int // total pods, e.g. 1000, 2000, 5000, 10000
	Policies int // total NetworkPolicies, e.g. Pods/5
	// CiliumPolicies is the number of CiliumNetworkPolicies; with any,
	// the cluster also has the CiliumClusterwideNetworkPolicies of
	// ClusterwidePolicies. They come from a random stream of their own:
	// the other objects are the same with and without them.
	CiliumPolicies int
	Namespaces     int   // application namespaces; 0 = derive (about Pods/50)
	Seed           int64 // the same seed gives the same cluster
}

// MaxPods is the largest cluster Cluster generates: the address plan gives
// each node a /24 of 10.64.0.0/10.
const MaxPods = 1_000_000

// SystemNamespaces are the namespaces every generated cluster has besides
// the application namespaces of Config.Namespaces. Only kube-system,
// monitoring and ingress-nginx run pods, and only in clusters of at least
// 100 pods (below that, kube-system runs CoreDNS alone).
var SystemNamespaces = []string{"default", "ingress-nginx", "kube-node-lease", "kube-public", "kube-system", "monitoring"}

// Cluster generates a cluster: Namespaces first, then per namespace (in
// name order) its workloads each followed by its ReplicaSets and Pods, its
// Services, its NetworkPolicies and its CiliumNetworkPolicies, and last
// the CiliumClusterwideNetworkPolicies. Every object has apiVersion and
// kind set; the Cilium policies are *unstructured.Unstructured, as the
// engine reads them. Negative counts are taken as zero; more than MaxPods pods panics.
func Cluster(cfg Config) []runtime.Object {
	return build(cfg).objects()
}

// build generates a cluster up to its objects: namespaces, workloads and
// their calls, policies. Its objects() are Cluster's result.
func build(cfg Config) *generator {
	cfg.Pods = max(cfg.Pods, 0)
	cfg.Policies = max(cfg.Policies, 0)
	cfg.CiliumPolicies = max(cfg.CiliumPolicies, 0)
	if cfg.Pods > MaxPods {
		panic(fmt.Sprintf("gen: %d pods is more than %d", cfg.Pods, MaxPods))
	}
	if cfg.Namespaces <= 0 {
		cfg.Namespaces = max(1, int(math.Round(float64(cfg.Pods)/50)))
	}
	g := &generator{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), mainStream)),
		left:   cfg.Pods,
		byName: map[string]*namespace{},
		epoch:  time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC),
	}
	g.nodes = max(1, (cfg.Pods+79)/80)
	g.nodeFill = make([]int, g.nodes)
	g.dualStack = g.chance(0.35)
	g.makeNamespaces()
	g.makeSystemWorkloads()
	g.makeAppWorkloads()
	g.wire()
	g.makePolicies()
	if cfg.CiliumPolicies > 0 {
		g.withStream(ciliumStream, g.makeCiliumPolicies)
	}
	return g
}

// generator holds the state of one Cluster call.
type generator struct {
	cfg       Config
	rng       *rand.Rand
	left      int // pods still to place
	nodes     int
	nodeFill  []int // pods placed per node
	nextNode  int   // round-robin cursor over nodes
	dualStack bool
	svcIPs    int
	epoch     time.Time

	namespaces []*namespace // generation order
	byName     map[string]*namespace
	apps       []*namespace // application namespaces
	ccnps      []*unstructured.Unstructured
}

// posture is how a namespace uses NetworkPolicy.
type posture int

const (
	open        posture = iota // no policy at all
	denyIngress                // default-deny ingress and allow-lists
	zeroTrust                  // default-deny ingress and egress, DNS and egress allow-lists
)

type namespace struct {
	name, env, team, product string
	labels                   map[string]string
	// appKey is the label workloads are selected by: app.kubernetes.io/name,
	// or app in namespaces of older charts.
	appKey    string
	posture   posture
	system    bool
	created   time.Time
	workloads []*workload
	wlNames   map[string]bool
	npNames   map[string]bool
	policies  []*networkingv1.NetworkPolicy
	// ciliumPosture is how the namespace uses CiliumNetworkPolicy.
	ciliumPosture posture
	cnpNames      map[string]bool
	cnps          []*unstructured.Unstructured
}

// The random streams: the cluster and its NetworkPolicies, and the Cilium
// policies.
const (
	mainStream   = 0x9e3779b97f4a7c15
	ciliumStream = 0x6a09e667f3bcc909
)

// withStream runs f with the generator drawing from another random stream
// of the seed, so that what f draws leaves the main stream as it was.
func (g *generator) withStream(stream uint64, f func()) {
	main := g.rng
	g.rng = rand.New(rand.NewPCG(uint64(g.cfg.Seed), stream))
	defer func() { g.rng = main }()
	f()
}

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// between returns a uniform integer in [lo, hi].
func (g *generator) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// weighted picks an index with the given relative weights.
func (g *generator) weighted(ws ...float64) int {
	var sum float64
	for _, w := range ws {
		sum += w
	}
	x := g.rng.Float64() * sum
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// take reserves up to n pods from the budget.
func (g *generator) take(n int) int {
	n = min(n, g.left)
	g.left -= n
	return n
}

// hashAlphabet is the alphabet of the random suffixes Kubernetes controllers
// generate (k8s.io/apimachinery/pkg/util/rand).
const hashAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func (g *generator) hash(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hashAlphabet[g.rng.IntN(len(hashAlphabet))]
	}
	return string(b)
}

func (g *generator) uid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// apportion splits total into integer shares proportional to weights
// (largest remainder, ties to the lower index).
func apportion(total int, weights []float64) []int {
	out := make([]int, len(weights))
	var sum float64
	for _, w := range weights {
		sum += w
	}
	if total <= 0 || len(weights) == 0 {
		return out
	}
	if sum <= 0 {
		for i := range out {
			out[i] = total / len(out)
			if i < total%len(out) {
				out[i]++
			}
		}
		return out
	}
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(total) * w / sum
		out[i] = int(exact)
		given += out[i]
		rems[i] = rem{i, exact - float64(out[i])}
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return a.i - b.i
	})
	for k := 0; given < total; k++ {
		out[rems[k%len(rems)].i]++
		given++
	}
	return out
}

// Address plan: node k has host IP 10.0.k/200.(k%200+10), pod CIDR
// 10.(64+k/256).(k%256).0/24 and, in dual-stack clusters,
// fd00:10:244:k::/64. Services get ClusterIPs from 10.96.0.0/12 (kube-dns
// has 10.96.0.10) and fd00:10:96::/112.

func (g *generator) hostIP(node int) string {
	return fmt.Sprintf("10.0.%d.%d", node/200, node%200+10)
}

// placePod puts a pod on a node (node < 0: the next one round-robin) and
// returns its node and addresses.
func (g *generator) placePod(node int) (int, []string) {
	if node < 0 {
		node = g.nextNode
		g.nextNode = (g.nextNode + 1) % g.nodes
	}
	g.nodeFill[node]++
	n := g.nodeFill[node] + 1 // .2 onwards
	ips := []string{fmt.Sprintf("10.%d.%d.%d", 64+node/256, node%256, n)}
	if g.dualStack {
		ips = append(ips, netip.AddrFrom16([16]byte{0xfd, 0, 0, 0x10, 0x02, 0x44, byte(node >> 8), byte(node), 14: byte(n >> 8), 15: byte(n)}).String())
	}
	return node, ips
}

func (g *generator) serviceIPs() []string {
	i := 10 + g.svcIPs
	g.svcIPs++
	ips := []string{fmt.Sprintf("10.%d.%d.%d", 96+i/65536, i/256%256, i%256)}
	if g.dualStack {
		ips = append(ips, netip.AddrFrom16([16]byte{0xfd, 0, 0, 0x10, 0, 0x96, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}).String())
	}
	return ips
}

const (
	tcp = corev1.ProtocolTCP
	udp = corev1.ProtocolUDP
)
