package output

import (
	"fmt"
	"slices"
)

// bundle makes the flows into one end on the same ports meet at a
// junction, after which one edge carries their label; then the flows out
// of one end on the same ports, before which one edge does. Two-way edges
// and member lines are left as they are.
func (b *picBuilder) bundle() {
	var flows, rest []picEdge
	for _, e := range b.pic.Edges {
		if e.Member || e.Both {
			rest = append(rest, e)
		} else {
			flows = append(flows, e)
		}
	}
	flows, in := b.bundleSide(flows, true)
	flows, out := b.bundleSide(flows, false)
	b.pic.Edges = append(append(append(rest, in...), out...), flows...)
}

// bundleSide takes, for into, the flows that share their destination and
// ports, two or more, off the list and returns them through a junction;
// otherwise those that share their source.
func (b *picBuilder) bundleSide(flows []picEdge, into bool) (left, bundled []picEdge) {
	type key struct{ end, ports string }
	groups := map[key][]int{}
	var order []key
	for i, e := range flows {
		k := key{e.To, edgeKey(e)}
		if !into {
			k.end = e.From
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	taken := map[int]bool{}
	for _, k := range order {
		idx := groups[k]
		if len(idx) < 2 {
			continue
		}
		j := picNode{ID: fmt.Sprintf("junction:%d", len(b.node)), Kind: picJunction, State: "junction"}
		first := flows[idx[0]]
		shared := picEdge{From: j.ID, To: k.end, Label: first.Label, Partial: first.Partial, Unsure: first.Unsure}
		if !into {
			shared.From, shared.To = k.end, j.ID
		}
		parents := map[string]bool{b.parentOf(k.end): true}
		for _, i := range idx {
			e := flows[i]
			taken[i] = true
			shared.Graph = append(shared.Graph, e.Graph...)
			e.Label = ""
			if into {
				e.To = j.ID
				parents[b.parentOf(e.From)] = true
			} else {
				e.From = j.ID
				parents[b.parentOf(e.To)] = true
			}
			bundled = append(bundled, e)
		}
		if len(parents) == 1 {
			for p := range parents {
				j.Cluster = p
			}
		}
		slices.Sort(shared.Graph)
		b.add(j)
		bundled = append(bundled, shared)
	}
	for i, e := range flows {
		if !taken[i] {
			left = append(left, e)
		}
	}
	return left, bundled
}

// parentOf is the cluster holding an end: a node's cluster, or the top
// ("") for a cluster.
func (b *picBuilder) parentOf(id string) string {
	if i, ok := b.node[id]; ok {
		return b.pic.Nodes[i].Cluster
	}
	return ""
}
