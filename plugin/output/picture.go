package output

import (
	"slices"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// picture is the map as the pictures (dot, mermaid and the html page)
// draw it: namespaces as clusters holding their workloads, the address
// regions in a cluster of their own, and the aggregated map's groups
// drawn so that an open namespace is one end of a few edges, not the
// corner of an all-to-all mesh:
//
//   - a group whose members are every workload of a namespace is that
//     cluster: its edges end on the cluster's border ("any pod in NS");
//   - another group of workloads is one node (a pill), joined to its
//     members by member lines (one from a cluster whose every workload is
//     a member); groups open for egress and for ingress with the same
//     members are one pill;
//   - a set of address regions is a pill that names them; an end's edges
//     to each member of such a set on the same ports are one edge to it,
//     and a region left with no edge is said by the set alone;
//   - where one end reaches every workload of a cluster on the same
//     ports, the edges are one edge to (or from) the cluster, so two
//     namespaces open to each other are joined by one edge;
//   - edges into the same node on the same ports meet at a junction and
//     carry their label once, after it (edges out of a node likewise).
//
// Every drawn edge lists the graph edges it stands for (Graph), so that
// the page can tell who reaches whom from the graph itself.
type picture struct {
	Clusters []picCluster `json:"clusters"`
	Nodes    []picNode    `json:"nodes"`
	Edges    []picEdge    `json:"edges"`
}

// Picture node kinds beyond the graph's.
const (
	// picJunction is a point where bundled edges meet.
	picJunction = "Junction"
	// nsPrefix starts the ID of a namespace's cluster.
	nsPrefix = "ns:"
)

// picCluster is a namespace.
type picCluster struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Kind is "namespace".
	Kind string `json:"kind"`
	// Leaves counts its workloads.
	Leaves int `json:"leaves"`
	// Stands are the graph's groups the cluster itself stands for: their
	// members are every workload of it, and an edge from or to the
	// cluster holds for each.
	Stands []string `json:"stands,omitempty"`
	// Open is the direction those groups are open in: "ingress", "egress"
	// or "both"; empty without.
	Open string `json:"open,omitempty"`
	// Self are the graph edges within the cluster drawn as its note: the
	// group open for egress to the one open for ingress, or every
	// workload to every other, on the same ports (Note).
	Self []int  `json:"self,omitempty"`
	Note string `json:"note,omitempty"`
}

// picNode is a workload, an address region, a group drawn as a pill, or a
// junction.
type picNode struct {
	ID string `json:"id"`
	// Cluster is the ID of the cluster holding it; empty at the top.
	Cluster string `json:"cluster,omitempty"`
	// Kind is the graph node's kind, or picJunction.
	Kind string `json:"kind"`
	Name string `json:"name"`
	Sub  string `json:"sub,omitempty"`
	// State colours it: isolated, open-ingress, open-egress, open-both,
	// external, group or junction.
	State string `json:"state"`
	// ClusterDeny is set when a cluster policy's Deny rules, not a
	// NetworkPolicy, restrict it in some direction.
	ClusterDeny bool `json:"clusterDeny,omitempty"`
	// Stands are, for a pill, the graph groups it draws (two when the
	// groups open for egress and for ingress have the same members), and
	// Members theirs.
	Stands  []string `json:"stands,omitempty"`
	Members []string `json:"members,omitempty"`
	// Self are the graph edges from the node to itself: between a
	// workload's own pods, or among a pill's members.
	Self []int `json:"self,omitempty"`
	// Note says, for a hub, that every other workload of its cluster
	// reaches it (or it reaches every other) on the same ports; Hub are
	// those graph edges, drawn as the note.
	Note string `json:"note,omitempty"`
	Hub  []int  `json:"hub,omitempty"`
}

// picEdge is a drawn edge. From and To are node or cluster IDs.
type picEdge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label,omitempty"`
	// Member is a line between a pill and a member (or a cluster of
	// members), not a flow.
	Member bool `json:"member,omitempty"`
	// Both is set when the edge stands for flows both ways on the same
	// ports.
	Both    bool `json:"both,omitempty"`
	Partial bool `json:"partial,omitempty"`
	// Unsure is set for ambiguous or undecided ports.
	Unsure bool `json:"unsure,omitempty"`
	// Graph are the indexes of the graph edges the edge stands for.
	Graph []int `json:"graph,omitempty"`
}

// picture builds the picture of the map; rules, which may be nil, tell
// the workloads a cluster policy restricts.
func newPicture(g *query.Graph, rules []*query.UnitExplanation) *picture {
	b := &picBuilder{g: g, pic: &picture{Clusters: []picCluster{}, Nodes: []picNode{}, Edges: []picEdge{}},
		cluster: map[string]int{}, node: map[string]int{}, end: map[string]string{}, leaves: map[string][]string{}}
	b.rules = map[string]*query.UnitExplanation{}
	for _, r := range rules {
		b.rules[r.Workload] = r
	}
	b.leafNodes()
	b.groups()
	b.flows()
	b.compressSets()
	b.compress()
	b.hubs()
	b.twoWay()
	b.bundle()
	b.dropCovered()
	return b.pic
}

// picBuilder holds what the steps of newPicture share.
type picBuilder struct {
	g     *query.Graph
	pic   *picture
	rules map[string]*query.UnitExplanation
	// cluster and node index the picture's clusters and nodes by ID.
	cluster map[string]int
	node    map[string]int
	// end maps a graph node ID to the picture node or cluster that
	// draws it.
	end map[string]string
	// leaves are the workloads (regions) of each cluster, by ID.
	leaves map[string][]string
	// edges are the flows being drawn, before the last steps.
	edges []picEdge
	// sets are the pills of sets of address regions.
	sets []string
}

// clusterOf is the cluster of a graph node: its namespace's; none for an
// address region, which is drawn where its edges pull it (the internet on
// the clients' side, a backup server on the servers').
func clusterOf(n query.Node) string {
	if n.Kind == "External" {
		return ""
	}
	return nsPrefix + n.Namespace
}

// leafNodes adds the workloads and regions, with the namespaces' clusters,
// the regions first, then in namespace order.
func (b *picBuilder) leafNodes() {
	var leaves []query.Node
	for _, n := range b.g.Nodes {
		if n.Kind != query.KindGroup {
			leaves = append(leaves, n)
		}
	}
	key := func(n query.Node) string {
		if n.Kind == "External" {
			return ""
		}
		return "\x01" + n.Namespace
	}
	slices.SortStableFunc(leaves, func(a, c query.Node) int { return strings.Compare(key(a), key(c)) })
	for _, n := range leaves {
		if _, dup := b.node[n.ID]; dup {
			continue
		}
		id := clusterOf(n)
		if id != "" {
			if _, ok := b.cluster[id]; !ok {
				b.cluster[id] = len(b.pic.Clusters)
				b.pic.Clusters = append(b.pic.Clusters, picCluster{ID: id, Label: n.Namespace, Kind: "namespace"})
			}
			b.pic.Clusters[b.cluster[id]].Leaves++
			b.leaves[id] = append(b.leaves[id], n.ID)
		}
		b.add(picNode{ID: n.ID, Cluster: id, Kind: n.Kind, Name: n.Name, Sub: leafSub(n), State: b.state(n), ClusterDeny: b.clusterDeny(n)})
		b.end[n.ID] = n.ID
	}
}

func (b *picBuilder) add(n picNode) {
	b.node[n.ID] = len(b.pic.Nodes)
	b.pic.Nodes = append(b.pic.Nodes, n)
}

func leafSub(n query.Node) string {
	if n.Kind == "External" {
		return "address range"
	}
	if n.Pods == 0 {
		return n.Kind
	}
	return n.Kind + " · " + plural(n.Pods, "pod", "pods")
}

// state names how open a node is, for its colour.
func (b *picBuilder) state(n query.Node) string {
	switch {
	case n.Kind == "External":
		return "external"
	case n.Kind == query.KindGroup:
		return "group"
	case !n.IngressIsolated && !n.EgressIsolated:
		return "open-both"
	case !n.IngressIsolated:
		return "open-ingress"
	case !n.EgressIsolated:
		return "open-egress"
	}
	return "isolated"
}

// clusterDeny tells a workload that only cluster policies' Deny rules
// restrict in some direction: restricted, but isolated by no
// NetworkPolicy.
func (b *picBuilder) clusterDeny(n query.Node) bool {
	r := b.rules[n.ID]
	if r == nil {
		return false
	}
	return n.IngressIsolated && !r.Ingress.Isolated || n.EgressIsolated && !r.Egress.Isolated
}

// flows adds the graph's edges between the nodes or clusters that draw
// their ends; an edge whose ends are drawn by the same node or cluster is
// its note.
func (b *picBuilder) flows() {
	for i, e := range b.g.Edges {
		from, to := b.end[e.From], b.end[e.To]
		if from == "" || to == "" {
			continue // an end the graph does not list
		}
		if from == to {
			if ni, ok := b.node[from]; ok {
				n := &b.pic.Nodes[ni]
				n.Self = append(n.Self, i)
				if n.Kind == query.KindGroup && n.Note == "" {
					n.Note = "⟲ each member reaches every member: " + edgeLabel(e)
				}
			} else {
				cl := &b.pic.Clusters[b.cluster[from]]
				cl.Self = append(cl.Self, i)
				cl.Note = "each pod reaches every pod of it on " + edgeLabel(e)
			}
			continue
		}
		b.edges = append(b.edges, picEdge{From: from, To: to, Label: edgeLabel(e), Partial: e.Partial,
			Unsure: e.Ambiguous != nil || e.Undecided != nil, Graph: []int{i}})
	}
}
