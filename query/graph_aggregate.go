package query

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The aggregated map (GraphOptions.Aggregate): the workloads that nothing
// judges in a direction (no policy isolates them, no rule of any stage
// applies to them for pods) are drawn as groups, "pods open for egress" and
// "pods open for ingress", cluster-wide and per namespace, so that the
// all-to-all mass of open workloads is a few edges, not the square of their
// number. An edge from or to a group holds for every member: every pod of
// each member workload may reach (be reached by) the other end on its
// ports, as an edge between the members would say. Edges between
// workloads that policies restrict on both sides are written as they are.

// Group kinds and the names of their nodes.
const (
	// KindGroup is the Kind of a node that stands for a group of
	// workloads, listed in its Members.
	KindGroup = "Group"
)

// groupNode names the group of the workloads open in direction d, of
// namespace ns ("" for every namespace).
func groupNode(d Direction, ns string, members []string) Node {
	n := Node{Kind: KindGroup, Namespace: ns, Members: members}
	what := "egress"
	if d == Ingress {
		what = "ingress"
	}
	n.ID = "pods open for " + what
	n.Name = "every pod that no policy judges for " + what + " from or to pods"
	if ns != "" {
		n.ID += " in " + ns
		n.Name = "every pod of " + ns + " that no policy judges for " + what + " from or to pods"
	}
	return n
}

// aggregator builds the aggregated map on a graphBuilder.
type aggregator struct {
	*graphBuilder
	// open[d][ui] is set when nothing judges unit ui in direction d for
	// pod peers; byNS[d] lists those units per namespace.
	open [2][]bool
	byNS [2]map[string][]int
	// namespaces[d] are the keys of byNS[d], sorted.
	namespaces [2][]string
	// all[d] lists every unit open in direction d.
	all [2][]int
	// groups are the group nodes some edge uses, by ID.
	groups map[string]Node
	// classUnits[c] are the units with pods of class c.
	classUnits [][]int
	// free[d][ns] is set when every open unit of direction d in namespace
	// ns is in the map's scope and nothing judges it in that direction at
	// all, not even for addresses: each gets every port with every
	// region, and the namespace's group is drawn without asking its
	// members (regionEdges).
	free [2]map[string]bool
}

// aggregable tells whether the map may be aggregated: not for a focus
// (a few pods, listed as they are), nor when variants or policies the
// engine does not evaluate mark edges per workload pair.
func (s *Snapshot) aggregable(opts GraphOptions) bool {
	if !opts.Aggregate || opts.Focus != nil || s.ties {
		return false
	}
	if vs, err := s.variants(); err != nil || len(vs) > 0 {
		return false
	}
	touched, _ := s.unevaluatedUnits()
	return len(touched) == 0
}

// aggregatedGraph is graph for an aggregable map.
func (b *graphBuilder) aggregatedGraph() *Graph {
	a := &aggregator{graphBuilder: b, groups: map[string]Node{}, classUnits: make([][]int, len(b.e.classes))}
	for ui, cs := range b.classes {
		for _, c := range cs {
			a.classUnits[c] = append(a.classUnits[c], ui)
		}
	}
	for _, d := range []Direction{Ingress, Egress} {
		x := dix(d)
		a.open[x] = make([]bool, len(b.units))
		a.byNS[x] = map[string][]int{}
		for ui, u := range b.units {
			open := true
			for _, c := range b.classes[ui] {
				open = open && b.e.freeOfPods[x][c]
			}
			a.open[x][ui] = open
			if open {
				a.byNS[x][u.Namespace] = append(a.byNS[x][u.Namespace], ui)
				a.all[x] = append(a.all[x], ui)
			}
		}
	}
	for x := range a.byNS {
		a.namespaces[x] = slices.Sorted(maps.Keys(a.byNS[x]))
		a.free[x] = map[string]bool{}
		for ns, members := range a.byNS[x] {
			a.free[x][ns] = !slices.ContainsFunc(members, func(ui int) bool {
				return !b.inScope[ui] || slices.ContainsFunc(b.classes[ui], func(c int) bool { return !b.e.free[x][c] })
			})
		}
	}
	g := &Graph{TypeMeta: Document(KindGraph), SchemaVersion: SchemaVersion, Nodes: []Node{}, Edges: []Edge{}}
	g.Edges = a.openEdges(g.Edges)
	rows := make([][]Edge, len(b.units))
	parallelFor(len(b.units), func(ui int) {
		if !a.open[dix(Egress)][ui] {
			rows[ui] = a.fromRestricted(ui)
		}
	})
	for ui := range rows {
		g.Edges = append(g.Edges, rows[ui]...)
		rows[ui] = nil
	}
	parallelFor(len(b.units), func(ui int) {
		if !a.open[dix(Ingress)][ui] {
			rows[ui] = a.toRestricted(ui)
		}
	})
	for ui := range rows {
		g.Edges = append(g.Edges, rows[ui]...)
	}
	index := make(map[string]int, len(b.units))
	for ui, name := range b.names {
		index[name] = ui
	}
	for _, e := range g.Edges {
		for _, end := range []string{e.From, e.To} {
			if ui, ok := index[end]; ok {
				b.used[ui] = true
			}
		}
	}
	var regionNodes []Node
	g.Edges, regionNodes = a.regionEdges(g.Edges)
	g.Nodes = append(b.unitNodes(), a.groupNodes()...)
	g.Nodes = append(g.Nodes, regionNodes...)
	return g
}

// openEdges is the edge from the open pods to the open pods, on every
// port: the whole cluster's, or, for a map of one namespace, from every
// open pod to those of the namespace and from those of the namespace to
// every open pod.
func (a *aggregator) openEdges(edges []Edge) []Edge {
	all := a.intern(AllPorts())
	out, in := dix(Egress), dix(Ingress)
	scoped := slices.Contains(a.inScope, false)
	var scopeNS string
	for ui, u := range a.units {
		if a.inScope[ui] {
			scopeNS = u.Namespace
		}
	}
	add := func(fromNS, toNS string) {
		from, to := a.members(out, fromNS), a.members(in, toNS)
		if len(from) == 0 || len(to) == 0 {
			return
		}
		if len(from) == 1 && len(to) == 1 && from[0] == to[0] && len(a.units[from[0]].Pods) == 1 {
			return // one pod to itself
		}
		edges = append(edges, Edge{From: a.group(Egress, fromNS), To: a.group(Ingress, toNS), Ports: all})
	}
	if !scoped {
		add("", "")
		return edges
	}
	add("", scopeNS)
	add(scopeNS, "")
	return edges
}

// members are the units open in direction x of namespace ns ("" for all).
func (a *aggregator) members(x int, ns string) []int {
	if ns != "" {
		return a.byNS[x][ns]
	}
	return a.all[x]
}

// group returns the ID of the group of the units open in direction d of
// namespace ns ("" for all), recording its node, once, as used; a group
// of one member is that member.
func (a *aggregator) group(d Direction, ns string) string {
	members := a.members(dix(d), ns)
	if len(members) == 1 {
		return a.names[members[0]] // a group of one is its member
	}
	id := groupNode(d, ns, nil).ID
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.groups[id]; ok {
		return id
	}
	names := make([]string, len(members))
	for i, ui := range members {
		names[i] = a.names[ui]
		a.used[ui] = true // listed, as a member's node
	}
	a.groups[id] = groupNode(d, ns, names)
	return id
}

// groupNodes are the groups some edge uses, in ID order.
func (a *aggregator) groupNodes() []Node {
	var out []Node
	for _, id := range slices.Sorted(maps.Keys(a.groups)) {
		out = append(out, a.groups[id])
	}
	return out
}

// pairEdge is the edge between two units, if any: false for none (no
// port, or a one-pod unit to itself).
func (a *aggregator) pairEdge(ai, bi int) (Edge, bool) {
	all, some, ok := a.unitPair(ai, bi)
	if !ok || some.IsEmpty() {
		return Edge{}, false
	}
	return Edge{From: a.names[ai], To: a.names[bi], Ports: a.intern(all), Partial: !all.Equal(some)}, true
}

// fromRestricted is the edges from a unit some policy judges for egress:
// to restricted units one by one, to the open units of a namespace as one
// edge to their group when all get the same ports (and to every open unit
// as one edge when all namespaces' groups do).
func (a *aggregator) fromRestricted(ai int) []Edge {
	var edges []Edge
	in := dix(Ingress)
	try := func(bi int) {
		if a.open[in][bi] || (!a.inScope[ai] && !a.inScope[bi]) {
			return
		}
		if e, ok := a.pairEdge(ai, bi); ok {
			edges = append(edges, e)
		}
	}
	if cands, ok := a.reachable(ai); ok {
		cands.each(try)
	} else {
		for bi := range a.units {
			try(bi)
		}
	}
	return append(edges, a.grouped(ai, Ingress)...)
}

// reachable is the set of units that unit ai's egress rules may reach:
// those with a class in the reach of some class of ai
// (classEngine.reach), so that a unit's row costs what its rules allow,
// not the number of units. ok is false when some class of ai has no
// reach, and every unit is a candidate.
func (a *aggregator) reachable(ai int) (units bitset, ok bool) {
	x := dix(Egress)
	units = newBitset(len(a.units))
	for _, c := range a.classes[ai] {
		r := a.e.reach[x][c]
		if r == nil {
			return nil, false
		}
		r.each(func(c int) {
			for _, ui := range a.classUnits[c] {
				units.set(ui)
			}
		})
	}
	return units, true
}

// toRestricted is the edges from the open units to a unit some policy
// judges for ingress, grouped as fromRestricted groups them.
func (a *aggregator) toRestricted(bi int) []Edge {
	return a.grouped(bi, Egress)
}

// grouped is the edges between unit ui and the open units of direction d
// (ingress: ui is the source; egress: ui is the destination), grouped as
// groupEdges does. Members that ui's rules cannot tell apart
// (memberKey) share one evaluation.
func (a *aggregator) grouped(ui int, d Direction) []Edge {
	type known struct {
		ports   *PortSet
		partial bool
		kind    memberEdge
	}
	key := a.memberKey(ui, d)
	memo := map[uint64]known{}
	return a.groupEdges(d, a.names[ui], d == Ingress, func(vi int) (Edge, memberEdge) {
		if !a.inScope[ui] && !a.inScope[vi] {
			return Edge{}, outOfScope
		}
		src, dst := ui, vi
		if d == Egress {
			src, dst = vi, ui
		}
		k, keyed := uint64(0), false
		if key != nil {
			k, keyed = key(vi)
		}
		if m, ok := memo[k]; keyed && ok {
			if m.kind != anEdge {
				return Edge{}, m.kind
			}
			return Edge{From: a.names[src], To: a.names[dst], Ports: m.ports, Partial: m.partial}, anEdge
		}
		e, ok := a.pairEdge(src, dst)
		kind := anEdge
		switch {
		case src == dst && !ok:
			kind = loopback // a one-pod unit to itself: its pod to itself, which no policy judges
		case !ok:
			kind = noEdge
		}
		if keyed {
			memo[k] = known{ports: e.Ports, partial: e.Partial, kind: kind}
		}
		return e, kind
	}, a.mayReach(ui, d), nil)
}

// memberKey is, for unit ui and the open units of direction d (its
// destinations for ingress, its sources for egress), a key per member such
// that members with the same key have the same edge with ui: which of the
// rules of ui's classes in that direction match the member's class. A
// member's own side lets every port (it is open), so the rules of ui alone
// decide, by their peers' classes. ok is false for a member of several
// classes or that shares one with ui. Nil where the rules do not decide by
// class alone: a peer matched per pair (relative), ports named by the
// destination (a member, for ui's egress), more than 64 rules.
func (a *aggregator) memberKey(ui int, d Direction) func(vi int) (k uint64, ok bool) {
	x := dix(Egress) // ui is the source: its egress rules
	if d == Egress {
		x = dix(Ingress) // ui is the destination: its ingress rules
	}
	rules := a.unitRules(ui, x)
	if len(rules) > 64 || slices.ContainsFunc(rules, func(j judgedRule) bool { return j.r.relative || d == Ingress && j.r.static == nil }) {
		return nil
	}
	own := a.classes[ui]
	return func(vi int) (uint64, bool) {
		cs := a.classes[vi]
		if len(cs) != 1 || slices.Contains(own, cs[0]) {
			return 0, false
		}
		var k uint64
		for i, j := range rules {
			if j.r.peers.has(cs[0]) {
				k |= 1 << i
			}
		}
		return k, true
	}
}

// judgedRule is a rule of a unit's class c.
type judgedRule struct {
	r *classRule
	c int
}

// unitRules are the rules of every stage that judge the classes of unit ui
// in direction x (dix), class by class.
func (a *aggregator) unitRules(ui, x int) []judgedRule {
	var out []judgedRule
	for _, c := range a.classes[ui] {
		for st := range numStages {
			for _, r := range a.e.rules[x][st][c] {
				out = append(out, judgedRule{r, c})
			}
		}
	}
	return out
}

// mayReach is, for unit ui and the open units of direction d (its
// destinations for ingress, its sources for egress), a test that a member
// may have an edge with ui: it has a class some allow rule of ui's
// classes may match (classEngine.reach), or it is ui itself; every other
// member has no port with ui. Nil when ui's rules do not tell.
func (a *aggregator) mayReach(ui int, d Direction) func(vi int) bool {
	x := dix(Egress) // ui is the source: its egress rules
	if d == Egress {
		x = dix(Ingress) // ui is the destination: its ingress rules
	}
	union := newBitset(len(a.e.classes))
	for _, c := range a.classes[ui] {
		r := a.e.reach[x][c]
		if r == nil {
			return nil
		}
		union.or(r)
	}
	return func(vi int) bool {
		return vi == ui || slices.ContainsFunc(a.classes[vi], union.has)
	}
}

// memberEdge says what a group member has with the other end.
type memberEdge uint8

const (
	anEdge     memberEdge = iota
	noEdge                // no port
	loopback              // the member is the other end, one pod: any ports hold
	outOfScope            // neither end is in the map's scope
)

// groupEdges is the edges between one end (other: a unit or a region, the
// source when otherIsSource) and the members of the open groups of
// direction d, edgeFor giving each member's: per namespace one edge to
// or from the namespace's group where every member has the same ports,
// whole, else member by member; one edge to or from the cluster-wide
// group where every namespace's group does.
//
// may, if not nil, tells cheaply which members may have an edge
// (aggregator.mayReach): edgeFor is asked for those alone. uniform, if not
// nil, is the ports every member of a namespace that free marks has with
// the other end, in a whole (not partial) edge: edgeFor is not asked for
// them.
func (a *aggregator) groupEdges(d Direction, other string, otherIsSource bool, edgeFor func(vi int) (Edge, memberEdge), may func(vi int) bool, uniform *PortSet) []Edge {
	x := dix(d)
	type nsEdges struct {
		ns    string
		edges []Edge
		ports *PortSet
		same  bool
	}
	var per []nsEdges
	var scratch []Edge // the edges of a namespace whose group is not drawn whole keep theirs
	broken := false    // some namespace's group is not drawn whole
	for _, ns := range a.namespaces[x] {
		if uniform != nil && a.free[x][ns] {
			per = append(per, nsEdges{ns: ns, same: true, ports: uniform})
			continue
		}
		g := nsEdges{ns: ns, same: true, edges: scratch[:0]}
		for _, vi := range a.byNS[x][ns] {
			if may != nil && !may(vi) {
				g.same = false // no port
				continue
			}
			e, kind := edgeFor(vi)
			switch kind {
			case loopback:
				continue
			case noEdge, outOfScope:
				g.same = false
				continue
			}
			if e.Partial || e.Ambiguous != nil || (g.ports != nil && g.ports != e.Ports) {
				g.same = false
			}
			g.ports = e.Ports
			g.edges = append(g.edges, e)
		}
		g.same = g.same && g.ports != nil
		scratch = nil
		if g.same {
			scratch, g.edges = g.edges[:0], nil
		}
		if !g.same {
			broken = true
			if len(g.edges) == 0 {
				scratch = g.edges[:0]
				continue // nothing to draw: only "not whole" is kept
			}
		}
		per = append(per, g)
	}
	whole := len(per) > 0 && !broken
	for _, g := range per {
		if !g.same || g.ports != per[0].ports {
			whole = false
			break
		}
	}
	edge := func(ns string, p *PortSet) Edge {
		e := Edge{From: other, To: a.group(d, ns), Ports: p}
		if !otherIsSource {
			e.From, e.To = e.To, e.From
		}
		return e
	}
	if whole {
		return []Edge{edge("", per[0].ports)}
	}
	// The namespaces whose groups get the same ports are one edge, to (or
	// from) the group of their open units, in the order of their first
	// namespace; then the member edges of the other namespaces.
	var order []*PortSet
	same := map[*PortSet][]string{}
	for _, g := range per {
		if g.same {
			if _, ok := same[g.ports]; !ok {
				order = append(order, g.ports)
			}
			same[g.ports] = append(same[g.ports], g.ns)
		}
	}
	var out []Edge
	for _, p := range order {
		e := Edge{From: other, To: a.namespacesGroup(d, same[p]), Ports: p}
		if !otherIsSource {
			e.From, e.To = e.To, e.From
		}
		out = append(out, e)
	}
	for _, g := range per {
		if !g.same {
			out = append(out, g.edges...)
		}
	}
	return out
}

// namespacesGroup returns the ID of the group of the units open in
// direction d of the namespaces nss: the namespace's own group for one,
// else a group named by the count and a digest of the namespaces, so that
// groups of different namespaces never share a name.
func (a *aggregator) namespacesGroup(d Direction, nss []string) string {
	if len(nss) == 1 {
		return a.group(d, nss[0])
	}
	x := dix(d)
	h := sha256.Sum256([]byte(strings.Join(nss, "\n")))
	what := "egress"
	if d == Ingress {
		what = "ingress"
	}
	id := fmt.Sprintf("pods open for %s in %d namespaces (set %x)", what, len(nss), h[:6])
	a.mu.Lock()
	defer a.mu.Unlock()
	if prev, ok := a.groups[id]; ok {
		if prev.Name != namespacesGroupName(nss, what) {
			panic("graph: two namespace sets named " + id) // a digest collision (told by the names listed)
		}
		return id
	}
	var names []string
	for _, ns := range nss {
		for _, ui := range a.byNS[x][ns] {
			names = append(names, a.names[ui])
			a.used[ui] = true
		}
	}
	a.groups[id] = Node{ID: id, Kind: KindGroup, Members: names, Name: namespacesGroupName(nss, what)}
	return id
}

// namespacesGroupName is the Name of a group of several namespaces' open
// units, naming the first few.
func namespacesGroupName(nss []string, what string) string {
	listed := strings.Join(nss, ", ")
	if len(nss) > 5 {
		listed = fmt.Sprintf("%s and %d more", strings.Join(nss[:5], ", "), len(nss)-5)
	}
	return "every pod of namespaces " + listed + " that no policy judges for " + what + " from or to pods"
}

// regionEdges is the edges to and from the address regions: the open
// units' grouped as groupEdges does, each other unit's as one edge to (or
// from) every address of a family, or every address, where it has the
// same ports with each region of it; with the regions some edge joins.
func (a *aggregator) regionEdges(edges []Edge) ([]Edge, []Node) {
	used := make([]bool, len(a.regions))
	for _, out := range []bool{true, false} {
		d := Ingress // the units' direction for traffic from the regions
		if out {
			d = Egress
		}
		edgeFor := func(ui, ri int) (Edge, memberEdge) {
			if !a.inScope[ui] {
				return Edge{}, outOfScope
			}
			r := a.regions[ri]
			addr := flowEnd{addr: r.rep}
			var agg portAgg
			for _, c := range a.classes[ui] {
				agg.add(a.e.externalPorts(c, addr, out))
			}
			amb := a.s.regionAmbiguity(addr, a.units[ui].Pods, d)
			if agg.all.IsEmpty() && amb.IsEmpty() {
				return Edge{}, noEdge
			}
			e := Edge{From: r.name, To: a.names[ui], Ports: a.intern(agg.all), Partial: !agg.all.Equal(agg.some)}
			if out {
				e.From, e.To = e.To, e.From
			}
			if !amb.IsEmpty() {
				e.Ambiguous = a.intern(amb)
			}
			return e, anEdge
		}
		rows := make([][]Edge, len(a.units))
		parallelFor(len(a.units), func(ui int) {
			if a.open[dix(d)][ui] {
				return
			}
			// Regions that the unit's rules match alike share one
			// evaluation (regionKey).
			type known struct {
				e    Edge
				kind memberEdge
			}
			key := a.regionKey(ui, d)
			memo := map[uint64]known{}
			rows[ui] = a.familyEdges(ui, out, func(ri int) (Edge, memberEdge) {
				if key == nil {
					return edgeFor(ui, ri)
				}
				k := key(ri)
				m, ok := memo[k]
				if !ok {
					m.e, m.kind = edgeFor(ui, ri)
					memo[k] = m
				}
				if m.kind != anEdge {
					return Edge{}, m.kind
				}
				e := m.e
				if out {
					e.To = a.regions[ri].name
				} else {
					e.From = a.regions[ri].name
				}
				return e, anEdge
			})
		})
		for ui := range rows {
			edges = append(edges, rows[ui]...)
		}
		// The open units' edges with each region, on every core; a
		// namespace whose open units nothing judges at all gets every
		// port without asking them.
		every := a.intern(AllPorts())
		perRegion := make([][]Edge, len(a.regions))
		parallelFor(len(a.regions), func(ri int) {
			perRegion[ri] = a.groupEdges(d, a.regions[ri].name, !out, func(ui int) (Edge, memberEdge) { return edgeFor(ui, ri) }, nil, every)
		})
		for _, grouped := range perRegion {
			edges = append(edges, grouped...)
		}
	}
	names := map[string]int{}
	for ri, r := range a.regions {
		names[r.name] = ri
	}
	for _, e := range edges {
		for _, end := range []string{e.From, e.To} {
			if ri, ok := names[end]; ok {
				used[ri] = true
			}
		}
	}
	// A region some group of regions stands for is listed too, so that
	// the map expanded member by member names only nodes it lists.
	for _, g := range a.groups {
		for _, m := range g.Members {
			if ri, ok := names[m]; ok {
				used[ri] = true
			}
		}
	}
	var nodes []Node
	for ri, r := range a.regions {
		if used[ri] {
			nodes = append(nodes, Node{ID: r.name, Kind: "External", Name: r.name})
		}
	}
	return edges, nodes
}

// regionKey is, for unit ui, a key per region such that regions with the
// same key have the same edge with ui in direction d (egress: to the
// region): which rules of ui's classes in that direction match the
// region's address, as sidePorts matches them. Those rules decide the
// edge, with ports that do not depend on the region. Nil for more than 64
// rules, and where cluster policies tie (an edge's ambiguity is then its
// region's own; an aggregated map has none).
func (a *aggregator) regionKey(ui int, d Direction) func(ri int) uint64 {
	if a.s.ties {
		return nil
	}
	rules := a.unitRules(ui, dix(d))
	if len(rules) > 64 {
		return nil
	}
	return func(ri int) uint64 {
		addr := flowEnd{addr: a.regions[ri].rep}
		var k uint64
		for i, j := range rules {
			if a.e.matches(j.r, peerOf{class: -1, addr: &addr}, j.c) {
				k |= 1 << i
			}
		}
		return k
	}
}

// familyEdges is one unit's edges to (out) or from the address regions:
// one edge to every address where every region gets the same ports, else
// per family (IPv4, IPv6) one to every address of it where its regions
// do, else one to each set of its regions that get the same ports (a
// region alone: the region).
func (a *aggregator) familyEdges(ui int, out bool, edgeFor func(ri int) (Edge, memberEdge)) []Edge {
	type family struct {
		name    string
		regions []int
		edges   []Edge
		same    bool
	}
	fams := []*family{{name: "every IPv4 address outside the cluster", same: true}, {name: "every IPv6 address outside the cluster", same: true}}
	for ri, r := range a.regions {
		f := fams[0]
		if r.rep.Is6() && !r.rep.Is4In6() {
			f = fams[1]
		}
		f.regions = append(f.regions, ri)
		e, kind := edgeFor(ri)
		if kind != anEdge {
			f.same = false
			continue
		}
		if e.Partial || e.Ambiguous != nil || (len(f.edges) > 0 && f.edges[0].Ports != e.Ports) {
			f.same = false
		}
		f.edges = append(f.edges, e)
	}
	edge := func(id string, members []string, p *PortSet) Edge {
		if len(members) == 1 {
			id = members[0]
		} else {
			a.mu.Lock()
			if prev, ok := a.groups[id]; ok && !slices.Equal(prev.Members, members) {
				panic("graph: two address sets named " + id) // a digest collision
			}
			a.groups[id] = Node{ID: id, Kind: KindGroup, Name: id, Members: members}
			a.mu.Unlock()
		}
		e := Edge{From: id, To: a.names[ui], Ports: p}
		if out {
			e.From, e.To = e.To, e.From
		}
		return e
	}
	regionNames := func(rs []int) []string {
		out := make([]string, len(rs))
		for i, ri := range rs {
			out[i] = a.regions[ri].name
		}
		return out
	}
	v4, v6 := fams[0], fams[1]
	if v4.same && v6.same && len(v4.edges) > 0 && len(v6.edges) > 0 && v4.edges[0].Ports == v6.edges[0].Ports {
		return []Edge{edge("every address outside the cluster", regionNames(append(slices.Clone(v4.regions), v6.regions...)), v4.edges[0].Ports)}
	}
	var edges []Edge
	for _, f := range fams {
		if f.same && len(f.edges) > 0 {
			edges = append(edges, edge(f.name, regionNames(f.regions), f.edges[0].Ports))
			continue
		}
		// The regions with the same ports, in region order.
		var order []*PortSet
		sets := map[*PortSet][]string{}
		for _, e := range f.edges {
			if e.Partial || e.Ambiguous != nil {
				edges = append(edges, e)
				continue
			}
			region := e.From
			if out {
				region = e.To
			}
			if _, ok := sets[e.Ports]; !ok {
				order = append(order, e.Ports)
			}
			sets[e.Ports] = append(sets[e.Ports], region)
		}
		for _, p := range order {
			members := sets[p]
			edges = append(edges, edge(addressSetID(members), members, p))
		}
	}
	return edges
}

// addressSetID names a set of address regions by its count and a digest
// of its members, so that sets of different members never share a name.
func addressSetID(members []string) string {
	h := sha256.Sum256([]byte(strings.Join(members, "\n")))
	return fmt.Sprintf("%d address regions (set %x)", len(members), h[:6])
}

// Expand lists an aggregated map's edges member by member: an edge from
// or to a group becomes one per member (a member to itself included), as
// the map without groups would list them. A map without groups is
// returned as it is.
func (g *Graph) Expand() *Graph {
	members := map[string][]string{}
	for _, n := range g.Nodes {
		if n.Kind == KindGroup {
			members[n.ID] = n.Members
		}
	}
	if len(members) == 0 {
		return g
	}
	out := *g
	out.Edges = nil
	out.Nodes = nil
	ends := func(id string) []string {
		if m, ok := members[id]; ok {
			return m
		}
		return []string{id}
	}
	for _, e := range g.Edges {
		for _, from := range ends(e.From) {
			for _, to := range ends(e.To) {
				x := e
				x.From, x.To = from, to
				out.Edges = append(out.Edges, x)
			}
		}
	}
	for _, n := range g.Nodes {
		if n.Kind != KindGroup {
			out.Nodes = append(out.Nodes, n)
		}
	}
	return &out
}
