package output

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// picSummary says a picture in lines: its drawn edges ("from -> to:
// label", "~" for a member line, "<->" for two ways), and the notes of
// its nodes and clusters, sorted.
func picSummary(p *picture) []string {
	var out []string
	for _, e := range p.Edges {
		arrow := " -> "
		switch {
		case e.Member:
			arrow = " ~ "
		case e.Both:
			arrow = " <-> "
		}
		out = append(out, e.From+arrow+e.To+": "+e.Label)
	}
	for _, n := range p.Nodes {
		if n.Note != "" {
			out = append(out, "note "+n.ID+": "+n.Note)
		}
		if n.Kind == query.KindGroup {
			out = append(out, "pill "+n.ID+": "+n.Name+" ("+n.Sub+")")
		}
	}
	for _, c := range p.Clusters {
		if c.Open != "" || c.Note != "" {
			out = append(out, "cluster "+c.ID+": open "+c.Open+"; "+c.Note)
		}
	}
	slices.Sort(out)
	return out
}

func groupNode(id, ns string, members ...string) query.Node {
	return query.Node{ID: id, Kind: query.KindGroup, Namespace: ns, Name: id, Members: members}
}

func TestPicture(t *testing.T) {
	tcp := func(p int32) *query.PortSet { s := query.SinglePort(corev1.ProtocolTCP, p); return &s }
	all := query.AllPorts()
	d := func(ns, name string) query.Node { return workload("Deployment", ns, name, 1, true, true) }
	open := func(ns, name string) query.Node { return workload("Deployment", ns, name, 1, false, false) }
	id := func(n query.Node) string { return n.ID }
	e := func(from, to string, p *query.PortSet) query.Edge { return query.Edge{From: from, To: to, Ports: p} }
	web, api, db, cache := d("prod", "web"), d("prod", "api"), d("prod", "db"), d("prod", "cache")
	dweb, dapi, dns := open("dev", "web"), open("dev", "api"), open("kube-system", "coredns")
	tests := []struct {
		name  string
		nodes []query.Node
		edges []query.Edge
		want  []string
	}{
		{
			"a group of every workload of a namespace is the namespace: its edges end on the border",
			[]query.Node{web, dweb, dapi, groupNode("pods open for egress in dev", "dev", id(dweb), id(dapi))},
			[]query.Edge{e("pods open for egress in dev", id(web), tcp(80))},
			[]string{"cluster ns:dev: open egress; ", "ns:dev -> deployment prod/web: TCP 80"},
		},
		{
			"groups open both ways with the same members are one pill, joined to a whole namespace by one member line",
			[]query.Node{web, dweb, dapi, dns, groupNode("pods open for egress", "", id(dweb), id(dapi), id(dns)), groupNode("pods open for ingress", "", id(dweb), id(dapi), id(dns))},
			[]query.Edge{e("pods open for egress", "pods open for ingress", &all), e("pods open for egress", id(web), tcp(80))},
			[]string{
				"ns:dev ~ pods open for egress: ", "deployment kube-system/coredns ~ pods open for egress: ",
				"pill pods open for egress: any pod open both ways (3 workloads in 2 namespaces)",
				"note pods open for egress: ⟲ each member reaches every member: all ports",
				"pods open for egress -> deployment prod/web: TCP 80",
			},
		},
		{
			"an end that reaches every workload of a namespace on the same ports reaches the namespace",
			[]query.Node{web, api, dweb},
			[]query.Edge{e(id(dweb), id(web), tcp(80)), e(id(dweb), id(api), tcp(80))},
			[]string{"deployment dev/web -> ns:prod: TCP 80"},
		},
		{
			"every workload of a namespace reaching one end on the same ports is the namespace reaching it",
			[]query.Node{web, api, dns},
			[]query.Edge{e(id(web), id(dns), tcp(53)), e(id(api), id(dns), tcp(53))},
			[]string{"ns:prod -> deployment kube-system/coredns: TCP 53"},
		},
		{
			"two namespaces open to each other are joined by one edge",
			[]query.Node{web, api, dweb, dapi},
			[]query.Edge{e(id(web), id(dweb), tcp(80)), e(id(web), id(dapi), tcp(80)), e(id(api), id(dweb), tcp(80)), e(id(api), id(dapi), tcp(80))},
			[]string{"ns:prod -> ns:dev: TCP 80"},
		},
		{
			"a workload every other workload of its namespace reaches on the same ports is a note",
			[]query.Node{web, api, db},
			[]query.Edge{e(id(web), id(db), tcp(4317)), e(id(api), id(db), tcp(4317)), e(id(web), id(api), tcp(5000))},
			[]string{"deployment prod/web -> deployment prod/api: TCP 5000", "note deployment prod/db: ← every other workload of prod: TCP 4317"},
		},
		{
			"edges into one node on the same ports meet at a junction, and carry their label once",
			[]query.Node{web, api, db, cache},
			[]query.Edge{e(id(web), id(db), tcp(5432)), e(id(api), id(db), tcp(5432))},
			[]string{"deployment prod/api -> junction:4: ", "deployment prod/web -> junction:4: ", "junction:4 -> deployment prod/db: TCP 5432"},
		},
		{
			"an edge and its reverse on the same ports are one edge with two arrows",
			[]query.Node{web, dweb},
			[]query.Edge{e(id(web), id(dweb), tcp(80)), e(id(dweb), id(web), tcp(80))},
			[]string{"deployment prod/web <-> deployment dev/web: TCP 80"},
		},
		{
			"a set of regions is a pill that names them, and a region no edge joins is left to it",
			[]query.Node{web, external("10.0.0.0/8"), external("any other IPv4 address"), groupNode("every IPv4 address outside the cluster", "", "10.0.0.0/8", "any other IPv4 address")},
			[]query.Edge{e("every IPv4 address outside the cluster", id(web), tcp(443))},
			[]string{
				"every IPv4 address outside the cluster -> deployment prod/web: TCP 443",
				"pill every IPv4 address outside the cluster: every IPv4 address outside the cluster (10.0.0.0/8, any other IPv4 address)",
			},
		},
		{
			"an end's edges to every region of a drawn set on the same ports are one edge to the set",
			[]query.Node{web, api, external("10.0.0.0/8"), external("any other IPv4 address"), groupNode("every IPv4 address outside the cluster", "", "10.0.0.0/8", "any other IPv4 address")},
			[]query.Edge{e("every IPv4 address outside the cluster", id(web), tcp(443)), e(id(api), "10.0.0.0/8", tcp(53)), e(id(api), "any other IPv4 address", tcp(53))},
			[]string{
				"deployment prod/api -> every IPv4 address outside the cluster: TCP 53",
				"every IPv4 address outside the cluster -> deployment prod/web: TCP 443",
				"pill every IPv4 address outside the cluster: every IPv4 address outside the cluster (10.0.0.0/8, any other IPv4 address)",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &query.Graph{Nodes: tc.nodes, Edges: tc.edges}
			p := newPicture(g, nil)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if diff := cmp.Diff(want, picSummary(p)); diff != "" {
				t.Errorf("picture (-want +got):\n%s", diff)
			}
			checkPictureCovers(t, g, p)
		})
	}
}

// checkPictureCovers checks what every picture must: each graph edge is
// drawn, or a note of its node or cluster; each graph node is drawn by a
// node, a cluster, or the set of regions that names it; each edge ends
// on something drawn.
func checkPictureCovers(t *testing.T, g *query.Graph, p *picture) {
	t.Helper()
	seen := make([]bool, len(g.Edges))
	mark := func(idx []int) {
		for _, i := range idx {
			seen[i] = true
		}
	}
	ends := map[string]bool{}
	for _, c := range p.Clusters {
		mark(c.Self)
		ends[c.ID] = true
		for _, s := range c.Stands {
			ends[s] = true
		}
	}
	for _, n := range p.Nodes {
		mark(n.Self)
		mark(n.Hub)
		ends[n.ID] = true
		for _, s := range n.Stands {
			ends[s] = true
		}
		if n.Kind == query.KindGroup {
			for _, m := range n.Members {
				ends[m] = true
			}
		}
	}
	for _, e := range p.Edges {
		mark(e.Graph)
		if !ends[e.From] || !ends[e.To] {
			t.Errorf("edge %s -> %s ends on nothing drawn", e.From, e.To)
		}
	}
	for i, s := range seen {
		if !s {
			t.Errorf("graph edge %s -> %s is neither drawn nor noted", g.Edges[i].From, g.Edges[i].To)
		}
	}
	for _, n := range g.Nodes {
		if !ends[n.ID] {
			t.Errorf("graph node %q is drawn by nothing", n.ID)
		}
	}
}

// TestPictureCoversTheMaps checks the picture's invariants on the maps
// of the examples, with and without groups, and on a random map.
func TestPictureCoversTheMaps(t *testing.T) {
	graphs := map[string]*query.Graph{"hand-made three-tier": threeTierGraph(), "random": largeGraph(300, 3000)}
	for _, ex := range examples {
		objs, err := load.Manifests(load.Source{Filenames: []string{ex.dir}}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		s, err := query.NewSnapshot(objs, query.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		for _, agg := range []bool{true, false} {
			graphs[fmt.Sprintf("%s aggregated=%v", ex.name, agg)] = s.Graph(query.GraphOptions{Aggregate: agg})
		}
	}
	for name, g := range graphs {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			checkPictureCovers(t, g, newPicture(g, nil))
		})
	}
}
