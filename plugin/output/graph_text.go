package output

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

const (
	// longRegion is the length past which an address region is named by a
	// label in the rows ("R1") and spelled out once below the table.
	longRegion = 40
	// maxColumn is the widest a column is padded to: a longer cell
	// overflows into the next and shifts only its own row.
	maxColumn = 60
	// maxMembers is how many members of a group the table's legend
	// names.
	maxMembers = 12
)

// graphText is an aligned adjacency table (its header row unless
// t.NoHeaders), then the address regions too
// long to repeat in every row, then the workloads no policy isolates. It
// is written through one buffer: maps of a large cluster have 100,000s of
// rows. Names are escaped with cell once each, not once per row.
func graphText(w io.Writer, g *query.Graph, t Table) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	names := make(map[string]string, len(g.Nodes))
	var legend []query.Node
	for _, n := range g.Nodes {
		names[n.ID] = cell(n.ID)
		if n.Kind == "External" && utf8.RuneCountInString(names[n.ID]) > longRegion {
			legend = append(legend, n)
			names[n.ID] = fmt.Sprintf("R%d", len(legend))
		}
	}
	name := func(id string) string {
		if s, ok := names[id]; ok {
			return s
		}
		return cell(id)
	}
	portText := map[*query.PortSet]string{}
	ports := func(e *query.Edge) string {
		s, ok := portText[e.Ports]
		if !ok {
			s = e.Ports.String()
			portText[e.Ports] = s
		}
		if e.Ambiguous != nil || e.Undecided != nil {
			s = edgeLabel(*e)
		}
		if e.Partial {
			s += " (more for some pods)"
		}
		return s
	}
	cols := columns{width: []int{len("FROM"), len("TO")}}
	for i := range g.Edges {
		cols.measure(name(g.Edges[i].From), name(g.Edges[i].To))
	}
	if !t.NoHeaders {
		cols.write(bw, "FROM", "TO", "PORTS")
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		cols.write(bw, name(e.From), name(e.To), ports(e))
	}
	if len(legend) > 0 {
		bw.WriteString("\nAddress regions:\n")
		for i, n := range legend {
			fmt.Fprintf(bw, "  R%d = %s\n", i+1, cell(n.ID))
		}
	}
	header := false
	for _, n := range g.Nodes {
		if n.Kind != query.KindGroup {
			continue
		}
		if !header {
			bw.WriteString("\nGroups (an edge from or to a group holds for each member):\n")
			header = true
		}
		shown := n.Members[:min(len(n.Members), maxMembers)]
		more := ""
		if len(n.Members) > len(shown) {
			more = fmt.Sprintf(" and %d more (-o json lists them)", len(n.Members)-len(shown))
		}
		fmt.Fprintf(bw, "  %s: %s%s\n", names[n.ID], cell(strings.Join(shown, ", ")), more)
	}
	header = false
	for _, n := range g.Nodes {
		if m := openMark(n); m != "" {
			if !header {
				bw.WriteString("\nNot isolated by any policy:\n")
				header = true
			}
			fmt.Fprintf(bw, "  %s: %s\n", names[n.ID], m)
		}
	}
	if g.Profile != nil {
		fmt.Fprintf(bw, "\n%s\n", cell(judgedAs(g.Profile)))
	}
	return bw.Flush()
}

// columns aligns rows of cells as text/tabwriter does with a padding of
// two spaces, except that no column is padded wider than maxColumn, and
// the last cell of a row is written as is.
type columns struct {
	width []int
}

// measure widens the columns to hold the cells, but not past maxColumn.
func (c *columns) measure(cells ...string) {
	for i, s := range cells {
		if n := utf8.RuneCountInString(s); n > c.width[i] {
			c.width[i] = min(n, maxColumn)
		}
	}
}

var blanks = strings.Repeat(" ", maxColumn+2)

// write writes one row.
func (c *columns) write(w *bufio.Writer, cells ...string) {
	for i, s := range cells {
		w.WriteString(s)
		if i == len(cells)-1 {
			break
		}
		w.WriteString(blanks[:max(c.width[i]-utf8.RuneCountInString(s), 0)+2])
	}
	w.WriteByte('\n')
}
