package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// countingWriter counts the writes that reach it.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestGraphTextTable(t *testing.T) {
	tcp := func(p int32) *query.PortSet { s := query.SinglePort(corev1.ProtocolTCP, p); return &s }
	world := "0.0.0.0/0 except 10.0.0.0/8,169.254.169.254/32,172.16.0.0/12,192.168.0.0/16"
	long := strings.Repeat("x", 70)
	tests := []struct {
		name  string
		nodes []query.Node
		edges []query.Edge
		want  string
	}{{
		name:  "short regions are named in the rows",
		nodes: []query.Node{workload("Deployment", "prod", "web", 1, true, true), external("192.168.5.10/32")},
		edges: []query.Edge{{From: "deployment prod/web", To: "192.168.5.10/32", Ports: tcp(80)}},
		want: "" +
			"FROM                 TO               PORTS\n" +
			"deployment prod/web  192.168.5.10/32  TCP 80\n",
	}, {
		name:  "a region longer than 40 characters is named once, below the table",
		nodes: []query.Node{workload("Deployment", "prod", "web", 1, true, true), external(world), external("192.168.5.10/32")},
		edges: []query.Edge{
			{From: "deployment prod/web", To: world, Ports: tcp(443)},
			{From: world, To: "deployment prod/web", Ports: tcp(80), Partial: true},
			{From: "deployment prod/web", To: "192.168.5.10/32", Ports: tcp(80)},
		},
		want: "" +
			"FROM                 TO                   PORTS\n" +
			"deployment prod/web  R1                   TCP 443\n" +
			"R1                   deployment prod/web  TCP 80 (more for some pods)\n" +
			"deployment prod/web  192.168.5.10/32      TCP 80\n" +
			"\nAddress regions:\n" +
			"  R1 = " + world + "\n",
	}, {
		name: "a cell wider than 60 characters overflows and pads no other row",
		nodes: []query.Node{workload("Deployment", "prod", "web", 1, true, true), workload("Deployment", "prod", long, 1, true, true),
			workload("Deployment", "prod", "db", 1, true, false)},
		edges: []query.Edge{
			{From: "deployment prod/" + long, To: "deployment prod/db", Ports: tcp(3306)},
			{From: "deployment prod/web", To: "deployment prod/db", Ports: tcp(3306)},
		},
		want: "" +
			"FROM" + strings.Repeat(" ", 58) + "TO                  PORTS\n" +
			"deployment prod/" + long + "  deployment prod/db  TCP 3306\n" +
			"deployment prod/web" + strings.Repeat(" ", 43) + "deployment prod/db  TCP 3306\n" +
			"\nNot isolated by any policy:\n" +
			"  deployment prod/db: open for egress\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := Graph(&b, "", &query.Graph{Nodes: tc.nodes, Edges: tc.edges}, Table{}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestGraphTextIsWrittenInFewPieces pins the buffering of the table: a map
// of a large cluster has 100,000s of rows, and a system call per cell
// made it take seconds in the kernel.
func TestGraphTextIsWrittenInFewPieces(t *testing.T) {
	g := threeTierGraph()
	for len(g.Edges) < 1000 {
		g.Edges = append(g.Edges, g.Edges...)
	}
	var w countingWriter
	if err := Graph(&w, "", g, Table{}); err != nil {
		t.Fatal(err)
	}
	if max := w.Len()/(1<<16) + 1; w.writes > max {
		t.Errorf("%d rows (%d bytes) written in %d writes, want at most %d", len(g.Edges), w.Len(), w.writes, max)
	}
}
