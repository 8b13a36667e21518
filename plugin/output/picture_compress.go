package output

import (
	"maps"
	"slices"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// clusterOfEnd is the cluster a node is in, or the cluster itself.
func (b *picBuilder) clusterOfEnd(id string) string {
	if i, ok := b.node[id]; ok {
		return b.pic.Nodes[i].Cluster
	}
	return id
}

func (b *picBuilder) isLeaf(id string) bool {
	i, ok := b.node[id]
	return ok && b.pic.Nodes[i].Kind != query.KindGroup && b.pic.Nodes[i].Kind != picJunction
}

// edgeKey is what edges must share to be drawn as one.
func edgeKey(e picEdge) string {
	k := e.Label
	if e.Partial {
		k += "\x00partial"
	}
	if e.Unsure {
		k += "\x00unsure"
	}
	return k
}

// compressSets draws an end's edges to (from) every region of a set of
// address regions the picture draws, on the same ports, as one edge to
// (from) the set; the largest set first.
func (b *picBuilder) compressSets() {
	sets := slices.Clone(b.sets)
	slices.SortStableFunc(sets, func(x, y string) int {
		return len(b.pic.Nodes[b.node[y]].Members) - len(b.pic.Nodes[b.node[x]].Members)
	})
	// Only the edges with a region at an end can merge: the others are
	// set aside, so that each set looks at those alone.
	var rest, edges []picEdge
	for _, e := range b.edges {
		if b.isRegion(e.From) || b.isRegion(e.To) {
			edges = append(edges, e)
		} else {
			rest = append(rest, e)
		}
	}
	defer func() { b.edges = append(rest, edges...) }()
	for _, set := range sets {
		members := b.pic.Nodes[b.node[set]].Members
		in := map[string]bool{}
		for _, m := range members {
			in[m] = true
		}
		for _, to := range []bool{true, false} {
			edges = b.merge(edges, func(e picEdge) (fixed, other string) {
				if to {
					return e.From, e.To
				}
				return e.To, e.From
			}, func(other string) (string, bool) { return set, in[other] }, len(members), func(e *picEdge, end string) {
				if to {
					e.To = end
				} else {
					e.From = end
				}
			})
		}
	}
}

func (b *picBuilder) isRegion(id string) bool {
	i, ok := b.node[id]
	return ok && b.pic.Nodes[i].Kind == "External"
}

// dropCovered drops the regions no drawn edge joins that a drawn set of
// regions names: the set says them.
func (b *picBuilder) dropCovered() {
	joined := map[string]bool{}
	for _, e := range b.pic.Edges {
		joined[e.From], joined[e.To] = true, true
	}
	named := map[string]bool{}
	for _, set := range b.sets {
		for _, m := range b.pic.Nodes[b.node[set]].Members {
			named[m] = true
		}
	}
	nodes := b.pic.Nodes[:0:0]
	for _, n := range b.pic.Nodes {
		if n.Kind == "External" && named[n.ID] && !joined[n.ID] {
			continue
		}
		nodes = append(nodes, n)
	}
	b.pic.Nodes = nodes
	b.node = map[string]int{}
	for i, n := range b.pic.Nodes {
		b.node[n.ID] = i
	}
}

// merge merges, among edges, those that share their fixed end and ports
// and whose other ends, mapped by group to a shared end, number want:
// into one edge to that end (set by setEnd). Edges whose other end group
// does not map are kept.
func (b *picBuilder) merge(edges []picEdge, ends func(picEdge) (fixed, other string), group func(other string) (string, bool), want int, setEnd func(*picEdge, string)) []picEdge {
	type key struct{ fixed, end, ports string }
	groups := map[key][]int{}
	for i, e := range edges {
		fixed, other := ends(e)
		to, ok := group(other)
		if !ok || fixed == to || b.clusterOfEnd(fixed) == to {
			continue
		}
		k := key{fixed, to, edgeKey(e)}
		groups[k] = append(groups[k], i)
	}
	drop := map[int]bool{}
	merged := map[int]picEdge{} // by the index of the first edge merged
	for k, idx := range groups {
		n := want
		if n < 0 {
			n = len(b.leaves[k.end])
		}
		if len(idx) != n {
			continue
		}
		e := edges[idx[0]]
		e.Graph = nil
		for _, i := range idx {
			e.Graph = append(e.Graph, edges[i].Graph...)
			drop[i] = true
		}
		slices.Sort(e.Graph)
		setEnd(&e, k.end)
		merged[idx[0]] = e
	}
	var out []picEdge
	for i, e := range edges {
		if m, ok := merged[i]; ok {
			out = append(out, m)
		} else if !drop[i] {
			out = append(out, e)
		}
	}
	return out
}

// compress draws an end's edges to every leaf of a cluster on the same
// ports as one edge to the cluster, then from every leaf of a cluster
// likewise; and every leaf of a cluster to every other on the same ports
// as the cluster's note.
func (b *picBuilder) compress() {
	b.edges = b.compressSide(b.edges, true)
	b.edges = b.compressSide(b.edges, false)
	b.compressWithin()
}

// compressSide merges, for toCluster, the edges from one end to every leaf
// of a cluster of two leaves or more (the end outside it); otherwise the
// edges from every leaf of a cluster to one end.
func (b *picBuilder) compressSide(edges []picEdge, toCluster bool) []picEdge {
	return b.merge(edges, func(e picEdge) (fixed, other string) {
		if toCluster {
			return e.From, e.To
		}
		return e.To, e.From
	}, func(other string) (string, bool) {
		c := b.clusterOfEnd(other)
		return c, b.isLeaf(other) && c != "" && len(b.leaves[c]) > 1
	}, -1, func(e *picEdge, end string) {
		if toCluster {
			e.To = end
		} else {
			e.From = end
		}
	})
}

// compressWithin makes the edges among the leaves of a cluster its note
// when every leaf reaches every other on the same ports.
func (b *picBuilder) compressWithin() {
	within := map[string][]int{}
	for i, e := range b.edges {
		c := b.clusterOfEnd(e.From)
		if b.isLeaf(e.From) && b.isLeaf(e.To) && c == b.clusterOfEnd(e.To) {
			within[c] = append(within[c], i)
		}
	}
	drop := map[int]bool{}
	for _, c := range slices.Sorted(maps.Keys(within)) {
		idx, n := within[c], len(b.leaves[c])
		if n < 2 || len(idx) != n*(n-1) || b.pic.Clusters[b.cluster[c]].Note != "" {
			continue
		}
		k := edgeKey(b.edges[idx[0]])
		if slices.ContainsFunc(idx, func(i int) bool { return edgeKey(b.edges[i]) != k }) {
			continue
		}
		cl := &b.pic.Clusters[b.cluster[c]]
		cl.Note = "each workload reaches every other on " + b.edges[idx[0]].Label
		for _, i := range idx {
			cl.Self = append(cl.Self, b.edges[i].Graph...)
			drop[i] = true
		}
		slices.Sort(cl.Self)
	}
	b.dropEdges(drop)
}

// dropEdges keeps the edges drop does not mark, in order.
func (b *picBuilder) dropEdges(drop map[int]bool) {
	var out []picEdge
	for i, e := range b.edges {
		if !drop[i] {
			out = append(out, e)
		}
	}
	b.edges = out
}

// twoWay draws an edge and its reverse on the same ports as one edge with
// two arrows.
func (b *picBuilder) twoWay() {
	at := map[[2]string]int{}
	for i, e := range b.edges {
		at[[2]string{e.From, e.To}] = i
	}
	drop := map[int]bool{}
	for i := range b.edges {
		e := &b.edges[i]
		if drop[i] {
			continue
		}
		j, ok := at[[2]string{e.To, e.From}]
		if !ok || j == i || drop[j] || edgeKey(b.edges[j]) != edgeKey(*e) {
			continue
		}
		e.Both = true
		e.Graph = append(e.Graph, b.edges[j].Graph...)
		slices.Sort(e.Graph)
		drop[j] = true
	}
	for i, e := range b.edges {
		if !drop[i] {
			b.pic.Edges = append(b.pic.Edges, e)
		}
	}
	b.edges = nil
}

// hubs makes a node's note of its edges from every other leaf of its
// cluster (of three leaves or more) on the same ports, then of its edges
// to every other leaf: a collector every workload sends to is one line of
// text, not a bundle of edges across the namespace.
func (b *picBuilder) hubs() {
	for _, into := range []bool{true, false} {
		type key struct{ hub, ports string }
		groups := map[key][]int{}
		var order []key
		for i, e := range b.edges {
			hub, other := e.To, e.From
			if !into {
				hub, other = e.From, e.To
			}
			c := b.clusterOfEnd(hub)
			if !b.isLeaf(hub) || !b.isLeaf(other) || c == "" || b.clusterOfEnd(other) != c || len(b.leaves[c]) < 3 {
				continue
			}
			k := key{hub, edgeKey(e)}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], i)
		}
		drop := map[int]bool{}
		for _, k := range order {
			idx := groups[k]
			n := &b.pic.Nodes[b.node[k.hub]]
			if len(idx) != len(b.leaves[n.Cluster])-1 || n.Note != "" {
				continue
			}
			ns := b.pic.Clusters[b.cluster[n.Cluster]].Label
			if into {
				n.Note = "← every other workload of " + ns + ": " + b.edges[idx[0]].Label
			} else {
				n.Note = "→ every other workload of " + ns + ": " + b.edges[idx[0]].Label
			}
			for _, i := range idx {
				n.Hub = append(n.Hub, b.edges[i].Graph...)
				drop[i] = true
			}
			slices.Sort(n.Hub)
		}
		b.dropEdges(drop)
	}
}
