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
// they draw every workload pair, not groups.
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
	case "dot":
		return graphDot(w, g)
	case "mermaid":
		return graphMermaid(w, g)
	case "html":
		return GraphHTML(w, g)
	}
	return fmt.Errorf("unsupported output format %q", format)
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

// graphDot renders Graphviz: workloads as boxes clustered by namespace,
// external ranges as ellipses, open workloads red, edges labelled by ports.
func graphDot(w io.Writer, g *query.Graph) error {
	var b strings.Builder
	// newrank: without it Graphviz (2.43) fails with "trouble in init_rank"
	// on namespace clusters joined by edges both ways.
	b.WriteString("digraph netpol {\n  rankdir=LR;\n  newrank=true;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	byNS := map[string][]query.Node{}
	var order []string
	for _, n := range g.Nodes {
		if _, ok := byNS[n.Namespace]; !ok {
			order = append(order, n.Namespace)
		}
		byNS[n.Namespace] = append(byNS[n.Namespace], n)
	}
	for i, ns := range order {
		indent := "  "
		if ns != "" {
			fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%s;\n", i, strconv.Quote(ns))
			indent = "    "
		}
		for _, n := range byNS[ns] {
			attrs := []string{"label=" + strconv.Quote(n.Name)}
			if n.Kind == "External" {
				attrs = append(attrs, "shape=ellipse")
			} else if openMark(n) != "" {
				attrs = append(attrs, "color=red", "fontcolor=red", "tooltip="+strconv.Quote(openMark(n)))
			}
			fmt.Fprintf(&b, "%s%s [%s];\n", indent, strconv.Quote(n.ID), strings.Join(attrs, ", "))
		}
		if ns != "" {
			b.WriteString("  }\n")
		}
	}
	for _, e := range g.Edges {
		attrs := "label=" + strconv.Quote(edgeLabel(e))
		if e.Ambiguous != nil || e.Undecided != nil {
			attrs += ", style=dashed, color=orange"
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", strconv.Quote(e.From), strconv.Quote(e.To), attrs)
	}
	// After the clusters, so that they do not inherit it.
	if g.Profile != nil {
		fmt.Fprintf(&b, "  label=%s;\n  labelloc=b;\n  fontname=\"Helvetica\";\n  fontsize=10;\n", strconv.Quote(cell(judgedAs(g.Profile))))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// graphMermaid renders a Mermaid flowchart, which GitHub renders; every
// label goes through mermaidLabel.
func graphMermaid(w io.Writer, g *query.Graph) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	byNS := map[string][]query.Node{}
	var order []string
	for i, n := range g.Nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
		if _, ok := byNS[n.Namespace]; !ok {
			order = append(order, n.Namespace)
		}
		byNS[n.Namespace] = append(byNS[n.Namespace], n)
	}
	for i, ns := range order {
		indent := "  "
		if ns != "" {
			fmt.Fprintf(&b, "  subgraph ns%d[\"%s\"]\n", i, mermaidLabel(ns))
			indent = "    "
		}
		for _, n := range byNS[ns] {
			if n.Kind == "External" {
				fmt.Fprintf(&b, "%s%s([\"%s\"])\n", indent, ids[n.ID], mermaidLabel(n.Name))
			} else {
				fmt.Fprintf(&b, "%s%s[\"%s\"]\n", indent, ids[n.ID], mermaidLabel(strings.ToLower(n.Kind)+" "+n.Name))
			}
		}
		if ns != "" {
			b.WriteString("  end\n")
		}
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", ids[e.From], mermaidLabel(edgeLabel(e)), ids[e.To])
	}
	var open []string
	for _, n := range g.Nodes {
		if openMark(n) != "" {
			open = append(open, ids[n.ID])
		}
	}
	if len(open) > 0 {
		fmt.Fprintf(&b, "  classDef open stroke:#d00,color:#d00\n  class %s open\n", strings.Join(open, ","))
	}
	if g.Profile != nil {
		b.WriteString("  %% " + cell(judgedAs(g.Profile)) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
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
