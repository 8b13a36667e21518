package output

import (
	"slices"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// group is a group of the graph with the direction it is used in.
type group struct {
	node    query.Node
	egress  bool // some edge leaves it
	ingress bool // some edge enters it
}

// groups draws the graph's groups: as the cluster of their members, or as
// pills joined to their members.
func (b *picBuilder) groups() {
	byID := map[string]*group{}
	var order []*group
	for _, n := range b.g.Nodes {
		if n.Kind == query.KindGroup && byID[n.ID] == nil {
			byID[n.ID] = &group{node: n}
			order = append(order, byID[n.ID])
		}
	}
	for _, e := range b.g.Edges {
		if gr := byID[e.From]; gr != nil {
			gr.egress = true
		}
		if gr := byID[e.To]; gr != nil {
			gr.ingress = true
		}
	}
	// Groups with the same members (the ones open for egress and for
	// ingress of a wide-open namespace) are drawn once.
	same := map[string][]*group{}
	var keys []string
	for _, gr := range order {
		k := gr.node.Namespace + "\x00" + strings.Join(slices.Sorted(slices.Values(gr.node.Members)), "\x00")
		if _, ok := same[k]; !ok {
			keys = append(keys, k)
		}
		same[k] = append(same[k], gr)
	}
	for _, k := range keys {
		b.drawGroups(same[k])
	}
}

// drawGroups draws groups with the same members.
func (b *picBuilder) drawGroups(grs []*group) {
	first := grs[0].node
	var ids []string
	out, in := false, false
	for _, gr := range grs {
		ids = append(ids, gr.node.ID)
		out, in = out || gr.egress, in || gr.ingress
	}
	dir := direction(out, in)
	if c := b.wholeCluster(first.Members); c != "" && !b.addressSet(first.Members) {
		cl := &b.pic.Clusters[b.cluster[c]]
		cl.Stands = append(cl.Stands, ids...)
		cl.Open = mergeDirection(cl.Open, dir)
		for _, id := range ids {
			b.end[id] = c
		}
		return
	}
	pill := picNode{ID: first.ID, Kind: query.KindGroup, State: "group", Stands: ids, Members: first.Members}
	pill.Name, pill.Sub = b.groupText(first, dir)
	if first.Namespace != "" {
		pill.Cluster = nsPrefix + first.Namespace
	}
	b.add(pill)
	for _, id := range ids {
		b.end[id] = pill.ID
	}
	if b.addressSet(first.Members) {
		b.sets = append(b.sets, pill.ID)
		return // a set of regions is said in words: its member lines would cross the map
	}
	// Member lines: one from each cluster whose every leaf is a member,
	// else one from each member.
	byCluster := map[string][]string{}
	var order []string
	for _, m := range first.Members {
		i, ok := b.node[m]
		if !ok {
			continue
		}
		c := b.pic.Nodes[i].Cluster
		if _, ok := byCluster[c]; !ok {
			order = append(order, c)
		}
		byCluster[c] = append(byCluster[c], m)
	}
	for _, c := range order {
		ends := byCluster[c]
		if len(ends) == len(b.leaves[c]) && len(ends) > 1 && c != pill.Cluster {
			ends = []string{c}
		}
		for _, m := range ends {
			e := picEdge{From: m, To: pill.ID, Member: true, Both: dir == "both"}
			if dir == "ingress" {
				e.From, e.To = pill.ID, m
			}
			b.pic.Edges = append(b.pic.Edges, e)
		}
	}
}

// wholeCluster is the cluster whose leaves are exactly these members,
// "" for none.
func (b *picBuilder) wholeCluster(members []string) string {
	if len(members) == 0 {
		return ""
	}
	i, ok := b.node[members[0]]
	if !ok {
		return ""
	}
	c := b.pic.Nodes[i].Cluster
	if c == "" || len(b.leaves[c]) != len(members) {
		return ""
	}
	in := map[string]bool{}
	for _, l := range b.leaves[c] {
		in[l] = true
	}
	for _, m := range members {
		if !in[m] {
			return ""
		}
	}
	return c
}

// addressSet tells a group of address regions: none of its members is a
// workload (a region may be a member without being a node of the map, when
// only the group's edges name it).
func (b *picBuilder) addressSet(members []string) bool {
	for _, m := range members {
		if i, ok := b.node[m]; ok && b.pic.Nodes[i].Kind != "External" {
			return false
		}
	}
	return len(members) > 0
}

func direction(out, in bool) string {
	switch {
	case out && in:
		return "both"
	case out:
		return "egress"
	case in:
		return "ingress"
	}
	return ""
}

func mergeDirection(a, c string) string {
	switch {
	case a == "" || a == c:
		return c
	case c == "":
		return a
	}
	return "both"
}

// groupText is a pill's name and the line under it.
func (b *picBuilder) groupText(n query.Node, dir string) (name, sub string) {
	if b.addressSet(n.Members) {
		name = n.ID
		if strings.Contains(n.ID, " (set ") {
			name = plural(len(n.Members), "address region", "address regions")
		}
		sub = strings.Join(n.Members, ", ")
		if len(n.Members) > 3 {
			sub = strings.Join(n.Members[:2], ", ") + " and " + plural(len(n.Members)-2, "more", "more")
		}
		if len(sub) > 90 {
			sub = plural(len(n.Members), "region", "regions")
		}
		return name, sub
	}
	what := map[string]string{"both": "open both ways", "egress": "open for egress", "ingress": "open for ingress", "": "open"}[dir]
	namespaces := map[string]bool{}
	for _, m := range n.Members {
		// "deployment prod/api": a member may be left out of a map
		// narrowed to a port, and its name still says its namespace.
		if _, rest, ok := strings.Cut(m, " "); ok {
			ns, _, _ := strings.Cut(rest, "/")
			namespaces[ns] = true
		}
	}
	sub = plural(len(n.Members), "workload", "workloads")
	if n.Namespace == "" {
		name = "any pod " + what
		sub += " in " + plural(len(namespaces), "namespace", "namespaces")
	} else {
		name = "pods " + what
	}
	return name, sub
}
