package output

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// IsPicture tells the map's formats that draw it (dot, mermaid, html):
// they draw the picture of picture.go, and name the rules of the
// workloads when given them (GraphPicture).
func IsPicture(format string) bool {
	return format == "dot" || format == "mermaid" || format == "html"
}

// GraphFormats are the output formats of the reachability map.
var GraphFormats = []string{"json", "yaml", "csv", "dot", "mermaid", "html"}

// Graph prints the reachability map in the given format; t applies to the
// adjacency table and the CSV rows.
func Graph(w io.Writer, format string, g *query.Graph, t Table) error {
	switch format {
	case "":
		return graphText(w, g, t)
	case "json":
		return graphJSON(w, g)
	case "yaml":
		return Data(w, format, g)
	case "csv":
		return graphCSV(w, g, t)
	case "dot", "mermaid", "html":
		return GraphPicture(w, format, g, nil)
	}
	return fmt.Errorf("unsupported output format %q", format)
}

// GraphPicture draws the map in a picture format (IsPicture); rules, from
// query.ExplainRules on the map's workloads, may be nil: with them, the
// pictures mark the workloads only cluster policies restrict, and the
// page names the rules behind each edge.
func GraphPicture(w io.Writer, format string, g *query.Graph, rules []*query.UnitExplanation) error {
	switch format {
	case "dot":
		return graphDot(w, g, rules)
	case "mermaid":
		return graphMermaid(w, g, rules)
	case "html":
		return graphHTML(w, g, rules)
	}
	return fmt.Errorf("unsupported picture format %q", format)
}

// edgeLabel is an edge's ports, with the ambiguous and undecided ones
// said (portsLabel).
func edgeLabel(e query.Edge) string {
	return portsLabel(*e.Ports, e.Ambiguous, e.Undecided)
}

// portsLabel is the ports of an item of a map or an explanation, with the
// ambiguous and undecided ones said: where cluster policies of the same
// tier and priority disagree "can" answers AMBIGUOUS, where the verdict
// depends on what the network plugin does it answers UNDECIDED, and the
// answer must not look certain. Undecided ports are said only as such.
func portsLabel(ports query.PortSet, ambiguous, undecided *query.PortSet) string {
	if ambiguous == nil && undecided == nil {
		return ports.String()
	}
	if undecided != nil {
		ports = ports.Subtract(*undecided)
	}
	var parts []string
	if !ports.IsEmpty() {
		parts = append(parts, ports.String())
	}
	if ambiguous != nil {
		parts = append(parts, "AMBIGUOUS "+ambiguous.String())
	}
	if undecided != nil {
		parts = append(parts, "UNDECIDED "+undecided.String())
	}
	return strings.Join(parts, "; ")
}

// judgedAs is the line (without its newline) that names the profile an
// answer was judged under and why it was chosen.
func judgedAs(p *query.Profile) string {
	return "judged as: " + p.String()
}

func openMark(n query.Node) string {
	switch {
	case n.Kind == "External", n.Kind == query.KindGroup:
		return ""
	case !n.IngressIsolated && !n.EgressIsolated:
		return "open in both directions"
	case !n.IngressIsolated:
		return "open for ingress"
	case !n.EgressIsolated:
		return "open for egress"
	}
	return ""
}

// graphCSV writes a row per edge, after the header row unless
// t.NoHeaders; names go through csvCell, so that a spreadsheet shows them
// as text.
func graphCSV(w io.Writer, g *query.Graph, t Table) error {
	cw := csv.NewWriter(w)
	if !t.NoHeaders {
		_ = cw.Write([]string{"from", "to", "ports", "partial", "ambiguous", "undecided"})
	}
	for _, e := range g.Edges {
		var amb, und string
		if e.Ambiguous != nil {
			amb = e.Ambiguous.String()
		}
		if e.Undecided != nil {
			und = e.Undecided.String()
		}
		_ = cw.Write([]string{csvCell(e.From), csvCell(e.To), e.Ports.String(), strconv.FormatBool(e.Partial), amb, und})
	}
	cw.Flush()
	return cw.Error()
}

// graphJSON writes the map as JSON with one node or edge per line: the same
// document encoding/json would write, laid out so that maps of hundreds of
// thousands of edges are written in a fraction of the time and diff well.
// Names and port sets are encoded once each, not once per edge.
func graphJSON(w io.Writer, g *query.Graph) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	quoted := map[string]string{}
	q := func(s string) string {
		if v, ok := quoted[s]; ok {
			return v
		}
		b, _ := json.Marshal(s)
		quoted[s] = string(b)
		return quoted[s]
	}
	ports := map[*query.PortSet]string{}
	fmt.Fprintf(bw, "{\n  \"apiVersion\": %s,\n  \"kind\": %s,\n  \"schemaVersion\": %s,\n  \"nodes\": [", q(g.APIVersion), q(g.Kind), q(g.SchemaVersion))
	for i, n := range g.Nodes {
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(g.Nodes) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("],\n  \"edges\": [")
	for i, e := range g.Edges {
		pj, ok := ports[e.Ports]
		if !ok {
			b, err := json.Marshal(e.Ports)
			if err != nil {
				return err
			}
			pj = string(b)
			ports[e.Ports] = pj
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    {\"from\":")
		bw.WriteString(q(e.From))
		bw.WriteString(",\"to\":")
		bw.WriteString(q(e.To))
		bw.WriteString(",\"ports\":")
		bw.WriteString(pj)
		if e.Partial {
			bw.WriteString(",\"partial\":true")
		}
		for _, f := range []struct {
			name string
			set  *query.PortSet
		}{{"ambiguous", e.Ambiguous}, {"undecided", e.Undecided}} {
			if f.set == nil {
				continue
			}
			b, err := json.Marshal(f.set)
			if err != nil {
				return err
			}
			bw.WriteString(",\"" + f.name + "\":")
			bw.Write(b)
		}
		bw.WriteByte('}')
	}
	if len(g.Edges) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]")
	if len(g.Warnings) > 0 {
		b, err := json.Marshal(g.Warnings)
		if err != nil {
			return err
		}
		bw.WriteString(",\n  \"warnings\": ")
		bw.Write(b)
	}
	if g.Profile != nil {
		b, err := json.Marshal(g.Profile)
		if err != nil {
			return err
		}
		bw.WriteString(",\n  \"profile\": ")
		bw.Write(b)
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}
