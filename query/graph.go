package query

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
)

// Graph is the reachability map of workloads: who may reach whom, on which
// ports, with both halves of every flow considered.
type Graph struct {
	SchemaVersion string `json:"schemaVersion"`
	Nodes         []Node `json:"nodes"`
	Edges         []Edge `json:"edges"`
	// Warnings qualify the whole map, e.g. that some edges are ambiguous.
	Warnings []string `json:"warnings,omitempty"`
}

// Node is a workload (or bare pod), or an address region outside the
// cluster that policies name.
type Node struct {
	ID string `json:"id"`
	// Kind is the workload kind, "Pod", or "External".
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Pods      int    `json:"pods,omitempty"`
	// IngressIsolated and EgressIsolated say whether some policy restricts
	// the workload's pods: a NetworkPolicy isolates them, or a cluster
	// policy Deny rule applies to them. A workload restricted in neither
	// direction is wide open.
	IngressIsolated bool `json:"ingressIsolated"`
	EgressIsolated  bool `json:"egressIsolated"`
}

// Edge says the source may reach the destination on Ports: the ports every
// pod pair may use (what "can" answers). Partial is true when some pod
// pairs may use more. Edges with equal port sets share one PortSet.
// Ambiguous are ports that cluster policies of the same tier and priority
// judge differently, where "can" answers AMBIGUOUS: Ports follows name
// order there, and an edge may have only ambiguous ports.
type Edge struct {
	From      string   `json:"from"`
	To        string   `json:"to"`
	Ports     *PortSet `json:"ports"`
	Partial   bool     `json:"partial,omitempty"`
	Ambiguous *PortSet `json:"ambiguous,omitempty"`
}

// GraphOptions narrow the map.
type GraphOptions struct {
	// Namespace keeps workloads of this namespace and their peers; "" for
	// the whole cluster.
	Namespace string
	// Focus keeps only edges to or from these pods (nil for all).
	Focus []*Pod
}

// bitset is a set of class indexes.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// graphRule is a NetworkPolicy or cluster policy rule compiled against
// the classes: which classes its peers match, and its ports (per
// destination class when it names ports).
type graphRule struct {
	portsFor func(dst *Pod) PortSet
	peers    bitset // classes some peer matches
	// For addresses outside the cluster: the NetworkPolicy rule (anyPeer:
	// it has no peers and matches everything), or the cluster rule.
	rule    *Rule
	anyPeer bool
	cluster *ClusterRule
	action  Action
	static  *PortSet
	// named memoises the ports per destination class of a rule that names
	// ports; graph rows are computed concurrently.
	mu    sync.Mutex
	named map[int]PortSet
}

// portsTo is what the rule matches towards class dst, or towards an
// address outside the cluster when dst < 0.
func (g *graphRule) portsTo(classes []*Class, dst int) PortSet {
	if g.static != nil {
		return *g.static
	}
	if dst < 0 {
		return g.portsFor(nil) // named ports never match outside
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.named[dst]; ok {
		return p
	}
	p := g.portsFor(classes[dst].Rep)
	g.named[dst] = p
	return p
}

// matchesOutside tells whether the rule's peers match an address outside
// the cluster.
func (g *graphRule) matchesOutside(s *Snapshot, addr flowEnd) bool {
	if g.cluster != nil {
		return s.rulePeersMatch(g.cluster, addr)
	}
	return g.anyPeer || g.rule.matchesPeer(s, "", addr)
}

// parallelFor runs f(0..n-1) on every core.
func parallelFor(n int, f func(int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// graphEngine evaluates reachability between equivalence classes with
// compiled selectors and bitsets, never pod pair by pod pair.
type graphEngine struct {
	s       *Snapshot
	classes []*Class
	index   map[*Class]int
	byNS    map[string][]int
	// ingress and egress rules per class; nil with open[d] set when no
	// policy isolates the class in that direction.
	// Tables per direction are indexed by dix.
	rules [2][][]*graphRule
	open  [2][]bool
	peers map[*Peer]bitset
	// tiers are the Admin [0] and Baseline [1] tier rules per class, in
	// precedence order; nil without cluster policies.
	tiers [2][][2][]*graphRule
	// free[d][c] is set when nothing judges class c in direction d: no
	// NetworkPolicy isolates it and no cluster policy rule applies.
	free [2][]bool
}

func newGraphEngine(s *Snapshot) *graphEngine {
	e := &graphEngine{
		s:       s,
		classes: s.Classes(),
		index:   map[*Class]int{},
		byNS:    map[string][]int{},
		peers:   map[*Peer]bitset{},
	}
	for i, c := range e.classes {
		e.index[c] = i
		e.byNS[c.Rep.Namespace] = append(e.byNS[c.Rep.Namespace], i)
	}
	compiled := map[*Rule]*graphRule{}
	for _, d := range []Direction{Ingress, Egress} {
		e.rules[dix(d)] = make([][]*graphRule, len(e.classes))
		e.open[dix(d)] = make([]bool, len(e.classes))
		for i, c := range e.classes {
			isolated := false
			for _, p := range s.policies[c.Rep.Namespace] {
				if !p.HasType(d) || !p.Selects(c.Rep) {
					continue
				}
				isolated = true
				for j := range p.Rules(d) {
					r := &p.Rules(d)[j]
					gr, ok := compiled[r]
					if !ok {
						gr = e.compileRule(p, r)
						compiled[r] = gr
					}
					e.rules[dix(d)][i] = append(e.rules[dix(d)][i], gr)
				}
			}
			e.open[dix(d)][i] = !isolated
		}
	}
	if len(s.cluster) > 0 {
		e.compileTiers()
	}
	for d := range e.free {
		e.free[d] = make([]bool, len(e.classes))
		for c := range e.classes {
			e.free[d][c] = e.open[d][c] && (e.tiers[d] == nil || len(e.tiers[d][c][0])+len(e.tiers[d][c][1]) == 0)
		}
	}
	return e
}

// restricted tells whether some policy may deny traffic of class c in
// direction d: NetworkPolicy isolates it, or a cluster policy rule that
// applies to it denies.
func (e *graphEngine) restricted(d Direction, c int) bool {
	if !e.open[dix(d)][c] {
		return true
	}
	if e.tiers[dix(d)] == nil {
		return false
	}
	for _, rules := range e.tiers[dix(d)][c] {
		for _, r := range rules {
			if r.action == ActionDeny {
				return true
			}
		}
	}
	return false
}

// dix indexes the per-direction tables: ingress 0, egress 1.
func dix(d Direction) int {
	if d == Egress {
		return 1
	}
	return 0
}

// compileTiers compiles the cluster policy rules that apply to each class.
func (e *graphEngine) compileTiers() {
	compiled := map[*ClusterRule]*graphRule{}
	for _, d := range []Direction{Ingress, Egress} {
		e.tiers[dix(d)] = make([][2][]*graphRule, len(e.classes))
		for i, c := range e.classes {
			for ti, t := range []Tier{TierAdmin, TierBaseline} {
				for _, tr := range e.s.clusterRules(t, d, c.Rep) {
					gr, ok := compiled[tr.rule]
					if !ok {
						gr = e.compileClusterRule(tr.rule)
						compiled[tr.rule] = gr
					}
					e.tiers[dix(d)][i][ti] = append(e.tiers[dix(d)][i][ti], gr)
				}
			}
		}
	}
}

func (e *graphEngine) compileClusterRule(r *ClusterRule) *graphRule {
	gr := &graphRule{portsFor: r.portsFor, cluster: r, action: r.Action, peers: newBitset(len(e.classes)), named: map[int]PortSet{}}
	if r.denyAll {
		gr.action = ActionDeny
	}
	for i, c := range e.classes {
		if e.s.rulePeersMatch(r, podEnd(c.Rep)) {
			gr.peers.set(i)
		}
	}
	named := r.denyAll == false && slices.ContainsFunc(r.Ports, func(p ClusterPort) bool { return p.Named != "" })
	if !named {
		ports := r.portsFor(nil)
		gr.static = &ports
	}
	return gr
}

func (e *graphEngine) compileRule(p *Policy, r *Rule) *graphRule {
	gr := &graphRule{portsFor: r.portsFor, rule: r, peers: newBitset(len(e.classes)), named: map[int]PortSet{}}
	if len(r.Peers) == 0 {
		gr.anyPeer = true
		for i := range e.classes {
			gr.peers.set(i)
		}
	}
	for i := range r.Peers {
		gr.peers.or(e.peerClasses(p.Namespace, &r.Peers[i]))
	}
	named := false
	for _, pt := range r.Ports {
		if pt.Port != nil && pt.Port.StrVal != "" {
			named = true
		}
	}
	if !named {
		ports := r.portsFor(nil)
		gr.static = &ports
	}
	return gr
}

// peerClasses is the set of classes one peer matches, computed once per
// peer: selectors are only tried on classes of matching namespaces.
func (e *graphEngine) peerClasses(ns string, pe *Peer) bitset {
	if b, ok := e.peers[pe]; ok {
		return b
	}
	b := newBitset(len(e.classes))
	switch pe.Kind {
	case PeerIPBlock:
		for i, c := range e.classes {
			if e.s.ipBlockMatch(pe, podEnd(c.Rep)) == missNone {
				b.set(i)
			}
		}
	case PeerPods:
		for _, i := range e.byNS[ns] {
			if pe.podSel.Matches(e.classes[i].Rep.Labels) {
				b.set(i)
			}
		}
	default:
		for name, idx := range e.byNS {
			if !pe.nsSel.Matches(e.s.namespaces[name].Labels) {
				continue
			}
			for _, i := range idx {
				if pe.Kind == PeerNamespaces || pe.podSel.Matches(e.classes[i].Rep.Labels) {
					b.set(i)
				}
			}
		}
	}
	e.peers[pe] = b
	return b
}

// classPorts is the ports class a may use to reach class b (distinct pods).
func (e *graphEngine) classPorts(a, b int) PortSet {
	if e.free[dix(Egress)][a] && e.free[dix(Ingress)][b] {
		return allPorts // the common case of open namespaces
	}
	egress := e.sidePorts(Egress, a, peerOf{class: b}, b)
	if egress.IsEmpty() {
		return egress
	}
	ingress := e.sidePorts(Ingress, b, peerOf{class: a}, b)
	if ingress.IsAll() {
		return egress
	}
	return egress.Intersect(ingress)
}

// externalPorts is the ports between class c and an address outside the
// cluster: egress from c when toOutside, else ingress into c.
func (e *graphEngine) externalPorts(c int, addr flowEnd, toOutside bool) PortSet {
	if toOutside {
		return e.sidePorts(Egress, c, peerOf{class: -1, addr: &addr}, -1)
	}
	return e.sidePorts(Ingress, c, peerOf{class: -1, addr: &addr}, c)
}

// peerOf is the other end of a half: a class, or (class -1) an address
// outside the cluster.
type peerOf struct {
	class int
	addr  *flowEnd
}

func (e *graphEngine) matches(r *graphRule, peer peerOf) bool {
	if peer.class >= 0 {
		return r.peers.has(peer.class)
	}
	return r.matchesOutside(e.s, *peer.addr)
}

// networkPolicyPorts is NetworkPolicy's part of a half for class c: the
// ports its rules allow towards dst, and whether it isolates c at all.
func (e *graphEngine) networkPolicyPorts(d Direction, c int, peer peerOf, dst int) (PortSet, bool) {
	if e.open[dix(d)][c] {
		return PortSet{}, false
	}
	var out PortSet
	for _, r := range e.rules[dix(d)][c] {
		if e.matches(r, peer) {
			out = out.Union(r.portsTo(e.classes, dst))
		}
	}
	return out, true
}

// sidePorts is the ports one half of a flow lets through for class c:
// peer is the other end, dst the destination class (-1 outside the
// cluster). It is the hot path of the map: no closures without tiers.
func (e *graphEngine) sidePorts(d Direction, c int, peer peerOf, dst int) PortSet {
	tiers := e.tiers[dix(d)]
	if tiers == nil || len(tiers[c][0])+len(tiers[c][1]) == 0 {
		ports, isolated := e.networkPolicyPorts(d, c, peer, dst)
		if !isolated {
			return AllPorts()
		}
		return ports
	}
	walk := func(rules []*graphRule) tierWalk {
		return func(undecided PortSet) (PortSet, PortSet, PortSet) {
			return walkRules(len(rules), func(i int) (Action, PortSet, bool) {
				if !e.matches(rules[i], peer) {
					return rules[i].action, PortSet{}, false
				}
				return rules[i].action, rules[i].portsTo(e.classes, dst), true
			}, undecided, nil)
		}
	}
	np := func() (PortSet, bool) { return e.networkPolicyPorts(d, c, peer, dst) }
	return decideTiers(walk(tiers[c][0]), np, walk(tiers[c][1])).allowed
}

// Graph builds the reachability map.
func (s *Snapshot) Graph(opts GraphOptions) *Graph {
	e := newGraphEngine(s)
	g := &Graph{SchemaVersion: SchemaVersion, Nodes: []Node{}, Edges: []Edge{}}
	units := s.Units("")
	// The classes of each unit.
	unitClasses := make([][]int, len(units))
	single := map[int]bool{} // classes of one pod: no pair within
	for i, c := range e.classes {
		single[i] = len(c.Pods) == 1
	}
	for ui, u := range units {
		seen := map[int]bool{}
		for _, p := range u.Pods {
			ci := e.index[s.classOf[p]]
			if !seen[ci] {
				seen[ci] = true
				unitClasses[ui] = append(unitClasses[ui], ci)
			}
		}
	}
	focus := map[*Pod]bool{}
	for _, p := range opts.Focus {
		focus[p] = true
	}
	touches := func(u *Unit) bool {
		if len(focus) == 0 {
			return opts.Namespace == "" || u.Namespace == opts.Namespace
		}
		for _, p := range u.Pods {
			if focus[p] {
				return true
			}
		}
		return false
	}
	inScope := make([]bool, len(units))
	for i, u := range units {
		inScope[i] = touches(u)
	}
	used := make([]bool, len(units))
	names := make([]string, len(units))
	for i, u := range units {
		names[i] = u.String()
	}
	// Rows of the adjacency matrix are independent: compute them on every
	// core, each as compact references into the row's own table of port
	// sets, then join them in order, edges sharing equal port sets.
	type edgeRef struct {
		col     int32
		ports   int32 // index into the row's port sets
		amb     int32 // the same for ambiguous ports, -1 for none
		partial bool
	}
	rows := make([][]edgeRef, len(units))
	rowSets := make([][]PortSet, len(units))
	parallelFor(len(units), func(ai int) {
		var refs []edgeRef
		var sets []PortSet
		last := -1
		intern := func(p PortSet) int32 {
			if last >= 0 && sets[last].Equal(p) {
				return int32(last)
			}
			for i := range sets {
				if sets[i].Equal(p) {
					last = i
					return int32(i)
				}
			}
			sets = append(sets, p)
			last = len(sets) - 1
			return int32(last)
		}
		// ambiguous interns the ports ai -> bi is ambiguous on, -1 for none.
		ambiguous := func(bi int) int32 {
			if !s.ties {
				return -1
			}
			if a := s.unitAmbiguity(units[ai].Pods, units[bi].Pods); !a.IsEmpty() {
				return intern(a)
			}
			return -1
		}
		for bi := range units {
			if !inScope[ai] && !inScope[bi] {
				continue
			}
			var all, some PortSet
			if len(unitClasses[ai]) == 1 && len(unitClasses[bi]) == 1 {
				// The common case: one class on each side.
				ca, cb := unitClasses[ai][0], unitClasses[bi][0]
				if ca == cb && single[ca] {
					continue // the one pod to itself
				}
				all = e.classPorts(ca, cb)
				amb := ambiguous(bi)
				if all.IsEmpty() && amb < 0 {
					continue
				}
				refs = append(refs, edgeRef{col: int32(bi), ports: intern(all), amb: amb})
				continue
			} else {
				var agg portAgg
				for _, ca := range unitClasses[ai] {
					for _, cb := range unitClasses[bi] {
						if ca != cb || !single[ca] {
							agg.add(e.classPorts(ca, cb))
						}
					}
				}
				all, some = agg.all, agg.some
			}
			amb := ambiguous(bi)
			if some.IsEmpty() && amb < 0 {
				continue
			}
			refs = append(refs, edgeRef{col: int32(bi), ports: intern(all), amb: amb, partial: !all.Equal(some)})
		}
		rows[ai], rowSets[ai] = slices.Clip(refs), sets
	})
	shared := map[string]*PortSet{}
	intern := func(p PortSet) *PortSet {
		k := p.String()
		if q, ok := shared[k]; ok {
			return q
		}
		shared[k] = &p
		return &p
	}
	regions := addressRegions(s.ipBlockPrefixes())
	n := 2 * len(units) * len(regions) // at most, to and from each region
	for _, r := range rows {
		n += len(r)
	}
	g.Edges = make([]Edge, 0, n)
	for ai, r := range rows {
		ptrs := make([]*PortSet, len(rowSets[ai]))
		for i, p := range rowSets[ai] {
			ptrs[i] = intern(p)
		}
		for _, ref := range r {
			edge := Edge{From: names[ai], To: names[ref.col], Ports: ptrs[ref.ports], Partial: ref.partial}
			if ref.amb >= 0 {
				edge.Ambiguous = ptrs[ref.amb]
			}
			g.Edges = append(g.Edges, edge)
			used[ref.col] = true
		}
		if len(r) > 0 {
			used[ai] = true
		}
		rows[ai] = nil
	}
	// Address regions the policies name, and the rest of the world.
	var regionNodes []Node
	for _, r := range regions {
		node := Node{ID: r.name, Kind: "External", Name: r.name}
		usedRegion := false
		addr := flowEnd{addr: r.rep}
		for ui := range units {
			if !inScope[ui] {
				continue
			}
			for _, out := range []bool{true, false} {
				var agg portAgg
				for _, c := range unitClasses[ui] {
					agg.add(e.externalPorts(c, addr, out))
				}
				all := agg.all
				d := Ingress
				if out {
					d = Egress
				}
				amb := s.regionAmbiguity(addr, units[ui].Pods, d)
				if all.IsEmpty() && amb.IsEmpty() {
					continue
				}
				usedRegion, used[ui] = true, true
				edge := Edge{From: node.ID, To: names[ui], Ports: intern(all)}
				if out {
					edge.From, edge.To = names[ui], node.ID
				}
				if !amb.IsEmpty() {
					edge.Ambiguous = intern(amb)
				}
				g.Edges = append(g.Edges, edge)
			}
		}
		if usedRegion {
			regionNodes = append(regionNodes, node)
		}
	}
	for ui, u := range units {
		if !inScope[ui] && !used[ui] {
			continue
		}
		n := Node{ID: u.String(), Kind: u.Kind, Namespace: u.Namespace, Name: u.Name, Pods: len(u.Pods)}
		for _, c := range unitClasses[ui] {
			n.IngressIsolated = n.IngressIsolated || e.restricted(Ingress, c)
			n.EgressIsolated = n.EgressIsolated || e.restricted(Egress, c)
		}
		g.Nodes = append(g.Nodes, n)
	}
	g.Nodes = append(g.Nodes, regionNodes...)
	g.Warnings = ambiguityWarnings(countAmbiguous(g.Edges), "edge")
	return g
}

func countAmbiguous(edges []Edge) int {
	n := 0
	for _, e := range edges {
		if e.Ambiguous != nil {
			n++
		}
	}
	return n
}

// WithPort keeps the edges whose ports include proto/port, and the nodes
// they join.
func (g *Graph) WithPort(proto corev1.Protocol, port int32) *Graph {
	out := &Graph{SchemaVersion: g.SchemaVersion, Nodes: []Node{}, Edges: []Edge{}}
	used := map[string]bool{}
	for _, e := range g.Edges {
		if e.Ambiguous != nil && !e.Ambiguous.Contains(proto, port) {
			e.Ambiguous = nil
		}
		if e.Ports.Contains(proto, port) || e.Ambiguous != nil {
			out.Edges = append(out.Edges, e)
			used[e.From], used[e.To] = true, true
		}
	}
	for _, n := range g.Nodes {
		if used[n.ID] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	out.Warnings = ambiguityWarnings(countAmbiguous(out.Edges), "edge")
	return out
}
