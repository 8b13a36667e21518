package query

import (
	"net/netip"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// Graph is the reachability map of workloads: who may reach whom, on which
// ports, with both halves of every flow considered.
type Graph struct {
	TypeMeta
	SchemaVersion string `json:"schemaVersion"`
	Nodes         []Node `json:"nodes"`
	Edges         []Edge `json:"edges"`
	// Warnings qualify the whole map, e.g. that some edges are ambiguous
	// or undecided.
	Warnings []Warning `json:"warnings,omitempty"`
	// Profile is the network plugin profile the map was judged under, and
	// why it was chosen.
	Profile *Profile `json:"profile,omitempty"`

	// dependsOn are the questions the undecided edges depend on, and
	// unsettled the warnings about the profile that no edge counts in
	// (undecided.go), for the warnings of a map narrowed to a port.
	dependsOn []string
	unsettled []Warning
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
	// Members are, for a group (Kind "Group", in aggregated maps), the
	// workloads it stands for: an edge from or to the group holds for
	// each of them.
	Members []string `json:"members,omitempty"`
}

// Edge says the source may reach the destination on Ports: the ports every
// pod pair may use (what "can" answers). Partial is true when some pod
// pairs may use more. Edges with equal port sets share one PortSet.
// Ambiguous are ports that cluster policies of the same tier and priority
// judge differently, where "can" answers AMBIGUOUS: Ports follows name
// order there, and an edge may have only ambiguous ports. Undecided are
// ports whose verdict depends on what the network plugin does where its
// profile leaves that unknown, where "can" answers UNDECIDED: Ports
// follows the API text's reading there, and an edge may have only
// undecided ports.
type Edge struct {
	From      string   `json:"from"`
	To        string   `json:"to"`
	Ports     *PortSet `json:"ports"`
	Partial   bool     `json:"partial,omitempty"`
	Ambiguous *PortSet `json:"ambiguous,omitempty"`
	Undecided *PortSet `json:"undecided,omitempty"`
}

// GraphOptions narrow the map.
type GraphOptions struct {
	// Namespace keeps workloads of this namespace and their peers; "" for
	// the whole cluster.
	Namespace string
	// Focus keeps only edges to or from these pods (nil for all).
	Focus []*Pod
	// Aggregate draws the workloads that nothing judges in a direction as
	// groups (graph_aggregate.go), unless there is a focus or the answer
	// depends on variants or unevaluated policies, which judge workload
	// by workload.
	Aggregate bool

	// prefixes cut the addresses outside the cluster into regions when
	// they are not the snapshot's own: a variant is judged on the regions
	// of the snapshot it varies (undecided.go).
	prefixes []netip.Prefix
	// keepSome asks for the ports some pod pair of each edge may use,
	// to compare variants by (undecided.go).
	keepSome bool
}

// Graph builds the reachability map: the edges between workloads, then
// those to and from the address regions policies name, then the nodes
// that take part.
// A profile that leaves behaviours unknown marks the edges that depend on
// them undecided (undecided.go).
func (s *Snapshot) Graph(opts GraphOptions) *Graph {
	return s.settleGraph(opts)
}

// graph builds the map under the snapshot's own semantics, and with
// opts.keepSome the ports some pod pair of each edge may use.
func (s *Snapshot) graph(opts GraphOptions) (*Graph, []PortSet) {
	b := newGraphBuilder(s, opts)
	if opts.Aggregate {
		g := b.aggregatedGraph()
		g.Warnings = ambiguityWarnings(countAmbiguous(g.Edges), "edge")
		return g, nil
	}
	g := &Graph{TypeMeta: Document(KindGraph), SchemaVersion: SchemaVersion, Nodes: []Node{}}
	rows := b.rows()
	g.Edges = make([]Edge, 0, b.edgeCount(rows))
	g.Edges = b.unitEdges(g.Edges, rows)
	var regionNodes []Node
	g.Edges, regionNodes = b.regionEdges(g.Edges)
	g.Nodes = append(b.unitNodes(), regionNodes...)
	g.Warnings = ambiguityWarnings(countAmbiguous(g.Edges), "edge")
	return g, b.some
}

// graphBuilder holds what the steps of Graph share: the workloads
// (units), their classes, which are in scope, and the port sets edges
// share.
type graphBuilder struct {
	s       *Snapshot
	e       *classEngine
	units   []*Unit
	names   []string
	classes [][]int // the classes of each unit
	single  []bool  // classes of one pod: no pair within
	inScope []bool
	used    []bool // units some edge joins
	regions []region
	shared  map[uint64][]*PortSet
	// mu guards shared and used where rows are built on every core
	// (graph_aggregate.go).
	mu sync.Mutex
	// some is, with opts.keepSome, the ports some pod pair of each edge
	// may use, in edge order.
	some     []PortSet
	keepSome bool
}

func newGraphBuilder(s *Snapshot, opts GraphOptions) *graphBuilder {
	e := newClassEngine(s)
	b := &graphBuilder{s: s, e: e, units: s.Units(""), shared: map[uint64][]*PortSet{}, keepSome: opts.keepSome}
	b.single = make([]bool, len(e.classes))
	for i, c := range e.classes {
		b.single[i] = len(c.Pods) == 1
	}
	n := len(b.units)
	b.names, b.classes, b.inScope, b.used = make([]string, n), make([][]int, n), make([]bool, n), make([]bool, n)
	focus := map[*Pod]bool{}
	for _, p := range opts.Focus {
		focus[p] = true
	}
	for ui, u := range b.units {
		b.names[ui] = u.String()
		seen := map[int]bool{}
		for _, p := range u.Pods {
			ci := e.index[s.classOf[p]]
			if !seen[ci] {
				seen[ci] = true
				b.classes[ui] = append(b.classes[ui], ci)
			}
		}
		switch {
		case len(focus) == 0:
			b.inScope[ui] = opts.Namespace == "" || u.Namespace == opts.Namespace
		default:
			b.inScope[ui] = slices.ContainsFunc(u.Pods, func(p *Pod) bool { return focus[p] })
		}
	}
	prefixes := opts.prefixes
	if prefixes == nil {
		prefixes = s.regionPrefixes()
	}
	b.regions = addressRegions(prefixes)
	return b
}

// intern shares one PortSet among the edges with equal ports.
func (b *graphBuilder) intern(p PortSet) *PortSet {
	k := p.hash()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, q := range b.shared[k] {
		if q.Equal(p) {
			return q
		}
	}
	q := new(PortSet) // p itself stays on the stack: most calls find their set
	*q = p
	b.shared[k] = append(b.shared[k], q)
	return q
}

// edgeRef is an edge of a row of the adjacency matrix, with its port
// sets as indexes into the row's own table: every pod pair's ports, some
// pod pair's (the same index when not partial; -1 when partial and not
// asked for) and the ambiguous ones.
type edgeRef struct {
	col   int32
	ports int32
	some  int32
	amb   int32 // the ambiguous ports, -1 for none
}

// row is one row of the adjacency matrix: the edges from one unit.
type row struct {
	refs []edgeRef
	sets []PortSet
}

// rows computes the rows on every core: they are independent.
func (b *graphBuilder) rows() []row {
	rows := make([]row, len(b.units))
	parallelFor(len(b.units), func(ai int) { rows[ai] = b.row(ai) })
	return rows
}

// row computes the edges from unit ai to every unit.
func (b *graphBuilder) row(ai int) row {
	var r row
	last := -1
	intern := func(p PortSet) int32 {
		if last >= 0 && r.sets[last].Equal(p) {
			return int32(last)
		}
		for i := range r.sets {
			if r.sets[i].Equal(p) {
				last = i
				return int32(i)
			}
		}
		r.sets = append(r.sets, p)
		last = len(r.sets) - 1
		return int32(last)
	}
	// ambiguous interns the ports ai -> bi is ambiguous on, -1 for none.
	ambiguous := func(bi int) int32 {
		if !b.s.ties {
			return -1
		}
		if a := b.s.unitAmbiguity(b.units[ai].Pods, b.units[bi].Pods); !a.IsEmpty() {
			return intern(a)
		}
		return -1
	}
	for bi := range b.units {
		if !b.inScope[ai] && !b.inScope[bi] {
			continue
		}
		all, some, ok := b.unitPair(ai, bi)
		if !ok {
			continue
		}
		amb := ambiguous(bi)
		if some.IsEmpty() && amb < 0 {
			continue
		}
		ref := edgeRef{col: int32(bi), ports: intern(all), amb: amb}
		ref.some = ref.ports
		switch {
		case all.Equal(some):
		case b.keepSome:
			ref.some = intern(some)
		default:
			ref.some = -1 // partial, not kept
		}
		r.refs = append(r.refs, ref)
	}
	r.refs = slices.Clip(r.refs)
	return r
}

// unitPair is the ports every (all) and some pod pair of unit ai -> bi
// may use, over their class pairs; ok is false for a one-pod unit to
// itself.
func (b *graphBuilder) unitPair(ai, bi int) (all, some PortSet, ok bool) {
	ca, cb := b.classes[ai], b.classes[bi]
	if len(ca) == 1 && len(cb) == 1 {
		// The common case: one class on each side.
		if ca[0] == cb[0] && b.single[ca[0]] {
			return PortSet{}, PortSet{}, false // the one pod to itself
		}
		p := b.e.classPorts(ca[0], cb[0])
		return p, p, true
	}
	var agg portAgg
	for _, a := range ca {
		for _, c := range cb {
			if a != c || !b.single[a] {
				agg.add(b.e.classPorts(a, c))
			}
		}
	}
	return agg.all, agg.some, true
}

// edgeCount is how many edges the map has at most: the rows', and to and
// from each region.
func (b *graphBuilder) edgeCount(rows []row) int {
	n := 2 * len(b.units) * len(b.regions)
	for _, r := range rows {
		n += len(r.refs)
	}
	return n
}

// unitEdges joins the rows in order, edges sharing equal port sets.
func (b *graphBuilder) unitEdges(edges []Edge, rows []row) []Edge {
	for ai := range rows {
		r := &rows[ai]
		ptrs := make([]*PortSet, len(r.sets))
		for i, p := range r.sets {
			ptrs[i] = b.intern(p)
		}
		for _, ref := range r.refs {
			edge := Edge{From: b.names[ai], To: b.names[ref.col], Ports: ptrs[ref.ports], Partial: ref.some != ref.ports}
			if ref.amb >= 0 {
				edge.Ambiguous = ptrs[ref.amb]
			}
			edges = append(edges, edge)
			if b.keepSome {
				b.some = append(b.some, r.sets[ref.some])
			}
			b.used[ref.col] = true
		}
		if len(r.refs) > 0 {
			b.used[ai] = true
		}
		*r = row{}
	}
	return edges
}

// regionEdges adds the edges to and from the address regions the policies
// name, and the rest of the world, with the regions that have any.
func (b *graphBuilder) regionEdges(edges []Edge) ([]Edge, []Node) {
	var nodes []Node
	for _, r := range b.regions {
		node := Node{ID: r.name, Kind: "External", Name: r.name}
		usedRegion := false
		addr := flowEnd{addr: r.rep}
		for ui := range b.units {
			if !b.inScope[ui] {
				continue
			}
			for _, out := range []bool{true, false} {
				var agg portAgg
				for _, c := range b.classes[ui] {
					agg.add(b.e.externalPorts(c, addr, out))
				}
				all := agg.all
				d := Ingress
				if out {
					d = Egress
				}
				amb := b.s.regionAmbiguity(addr, b.units[ui].Pods, d)
				if all.IsEmpty() && amb.IsEmpty() {
					continue
				}
				usedRegion, b.used[ui] = true, true
				edge := Edge{From: node.ID, To: b.names[ui], Ports: b.intern(all)}
				if out {
					edge.From, edge.To = b.names[ui], node.ID
				}
				if !amb.IsEmpty() {
					edge.Ambiguous = b.intern(amb)
				}
				edges = append(edges, edge)
				if b.keepSome {
					b.some = append(b.some, agg.some)
				}
			}
		}
		if usedRegion {
			nodes = append(nodes, node)
		}
	}
	return edges, nodes
}

// unitNodes are the workloads in scope or joined by some edge.
func (b *graphBuilder) unitNodes() []Node {
	var out []Node
	for ui, u := range b.units {
		if !b.inScope[ui] && !b.used[ui] {
			continue
		}
		n := Node{ID: u.String(), Kind: u.Kind, Namespace: u.Namespace, Name: u.Name, Pods: len(u.Pods)}
		for _, c := range b.classes[ui] {
			n.IngressIsolated = n.IngressIsolated || b.e.restricted(Ingress, c)
			n.EgressIsolated = n.EgressIsolated || b.e.restricted(Egress, c)
		}
		out = append(out, n)
	}
	return out
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
	out := &Graph{TypeMeta: g.TypeMeta, SchemaVersion: g.SchemaVersion, Nodes: []Node{}, Edges: []Edge{}, Profile: g.Profile, dependsOn: g.dependsOn, unsettled: g.unsettled}
	used := map[string]bool{}
	for _, e := range g.Edges {
		if e.Ambiguous != nil && !e.Ambiguous.Contains(proto, port) {
			e.Ambiguous = nil
		}
		if e.Undecided != nil && !e.Undecided.Contains(proto, port) {
			e.Undecided = nil
		}
		if e.Ports.Contains(proto, port) || e.Ambiguous != nil || e.Undecided != nil {
			out.Edges = append(out.Edges, e)
			used[e.From], used[e.To] = true, true
		}
	}
	for _, n := range g.Nodes {
		if used[n.ID] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	out.Warnings = append(ambiguityWarnings(countAmbiguous(out.Edges), "edge"), undecidedWarnings(countUndecided(out.Edges), "edge", out.dependsOn)...)
	out.Warnings = append(out.Warnings, out.unsettled...)
	return out
}
