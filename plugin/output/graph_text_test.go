package output

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// countingWriter counts the writes it is given.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// TestGraphTextIsBuffered pins that the adjacency table reaches its writer
// in a few large writes: tabwriter writes every cell and its padding on
// its own, which on a terminal or pipe is a system call each.
func TestGraphTextIsBuffered(t *testing.T) {
	g := &query.Graph{SchemaVersion: query.SchemaVersion}
	ports := query.SinglePort("TCP", 443)
	for i := range 2000 {
		g.Edges = append(g.Edges, query.Edge{From: fmt.Sprintf("deployment prod/w%d", i), To: "10.0.0.0/8", Ports: &ports})
	}
	var w countingWriter
	if err := Graph(&w, "", g); err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(w.Bytes(), []byte("\n")); lines != 2001 {
		t.Fatalf("%d lines, want a header and 2000 edges", lines)
	}
	if w.writes > 10 {
		t.Errorf("the table of 2000 edges took %d writes, want a few buffered ones", w.writes)
	}
}
