package output

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The colours of a node's state, shared by dot and the legend: fill,
// border.
var stateColours = map[string][2]string{
	"isolated":     {"#eef4ff", "#5b7bb5"},
	"open-ingress": {"#fff4d6", "#d08a00"},
	"open-egress":  {"#fff4d6", "#d08a00"},
	"open-both":    {"#fde4e4", "#d03b3b"},
	"external":     {"#f3f4f6", "#6b7280"},
	"group":        {"#ffffff", "#334155"},
}

// clusterDenyColour marks the nodes a cluster policy's Deny rules
// restrict.
const clusterDenyColour = "#7c3aed"

// unsureColour marks the edges with ambiguous or undecided ports.
const unsureColour = "#d97706"

// stateWords says a node's state in words, for tooltips and the legend.
func stateWords(state string) string {
	return map[string]string{
		"isolated":     "isolated by policies",
		"open-ingress": "open for ingress",
		"open-egress":  "open for egress",
		"open-both":    "open in both directions",
		"external":     "outside the cluster",
		"group":        "a group: an edge from or to it holds for each member",
	}[state]
}

// clusterTitle is a cluster's label with what it stands for.
func clusterTitle(c picCluster) string {
	t := c.Label
	if c.Open != "" {
		what := map[string]string{"both": "open both ways", "egress": "open for egress", "ingress": "open for ingress"}[c.Open]
		t += "\nany pod: " + what
	}
	if c.Note != "" {
		t += "\n" + c.Note
	}
	return t
}

// lines escapes each line of s with esc and joins them with sep: a
// label's own line breaks survive the escaping of its names.
func lines(s string, esc func(string) string, sep string) string {
	parts := strings.Split(s, "\n")
	for i, l := range parts {
		parts[i] = esc(l)
	}
	return strings.Join(parts, sep)
}

// graphDot renders Graphviz from the picture (picture.go): a cluster per
// namespace, edges to or from a whole cluster ending on its border
// (compound, lhead/ltail), groups as rounded pills, bundled edges meeting
// at points, and a legend of the colours.
func graphDot(w io.Writer, g *query.Graph, rules []*query.UnitExplanation) error {
	p := newPicture(g, rules)
	var b strings.Builder
	// newrank: without it Graphviz (2.43) fails with "trouble in init_rank"
	// on namespace clusters joined by edges both ways.
	b.WriteString("digraph netpol {\n  rankdir=LR;\n  newrank=true;\n  compound=true;\n  nodesep=0.3;\n  ranksep=0.7;\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9, color=\"#6b7280\"];\n")
	q := func(s string) string { return strconv.Quote(cell(s)) }
	multi := func(s string) string { return strconv.Quote(lines(s, cell, "\n")) }
	clusterIndex := map[string]int{}
	anchor := map[string]string{} // a node inside each cluster, for lhead/ltail
	for i, c := range p.Clusters {
		clusterIndex[c.ID] = i
	}
	byCluster := map[string][]picNode{}
	for _, n := range p.Nodes {
		byCluster[n.Cluster] = append(byCluster[n.Cluster], n)
		if _, ok := anchor[n.Cluster]; !ok && n.Kind != picJunction {
			anchor[n.Cluster] = n.ID
		}
	}
	writeNode := func(indent string, n picNode) {
		var attrs []string
		switch {
		case n.Kind == picJunction:
			attrs = []string{"shape=point", "width=0.06", "label=\"\""}
		default:
			c := stateColours[n.State]
			label := n.Name
			if n.Sub != "" {
				label += "\n" + n.Sub
			}
			if n.Note != "" {
				label += "\n" + n.Note
			}
			attrs = []string{"label=" + multi(label), "fillcolor=\"" + c[0] + "\"", "color=\"" + c[1] + "\"", "tooltip=" + q(n.ID+": "+stateWords(n.State))}
			if n.State == "external" {
				attrs = append(attrs, "style=\"rounded,filled,dashed\"")
			}
			if n.ClusterDeny {
				attrs = append(attrs, "peripheries=2", "color=\""+clusterDenyColour+"\"")
			}
		}
		fmt.Fprintf(&b, "%s%s [%s];\n", indent, q(n.ID), strings.Join(attrs, ", "))
	}
	for i, c := range p.Clusters {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%s;\n    labeljust=l;\n    fontname=\"Helvetica-Bold\";\n    fontsize=12;\n    style=\"rounded,filled\";\n    color=\"#cbd5e1\";\n    fillcolor=\"#f8fafc\";\n", i, multi(clusterTitle(c)))
		for _, n := range byCluster[c.ID] {
			writeNode("    ", n)
		}
		b.WriteString("  }\n")
	}
	for _, n := range byCluster[""] {
		writeNode("  ", n)
	}
	end := func(id string) (node, cluster string) {
		if i, ok := clusterIndex[id]; ok {
			return anchor[id], fmt.Sprintf("cluster_%d", i)
		}
		return id, ""
	}
	for _, e := range p.Edges {
		from, ltail := end(e.From)
		to, lhead := end(e.To)
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+q(e.Label))
		}
		if ltail != "" {
			attrs = append(attrs, "ltail="+ltail)
		}
		if lhead != "" {
			attrs = append(attrs, "lhead="+lhead)
		}
		switch {
		case e.Member:
			attrs = append(attrs, "style=dashed", "arrowhead=none", "color=\"#9ca3af\"")
		case e.Unsure:
			attrs = append(attrs, "style=dotted", "color=\""+unsureColour+"\"")
		case e.Partial:
			attrs = append(attrs, "style=dashed")
		}
		if e.Both && !e.Member {
			attrs = append(attrs, "dir=both")
		}
		if strings.HasPrefix(e.To, "junction:") {
			attrs = append(attrs, "arrowhead=none")
		}
		fmt.Fprintf(&b, "  %s -> %s", q(from), q(to))
		if len(attrs) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(attrs, ", "))
		}
		b.WriteString(";\n")
	}
	writeDotLegend(&b)
	// After the clusters, so that they do not inherit it.
	if g.Profile != nil {
		fmt.Fprintf(&b, "  label=%s;\n  labelloc=b;\n  fontname=\"Helvetica\";\n  fontsize=10;\n", q(judgedAs(g.Profile)))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDotLegend writes the legend: one node, a table of the colours
// and line styles (an HTML-like label of constant text).
func writeDotLegend(b *strings.Builder) {
	row := func(fill, border, style, text string) string {
		return fmt.Sprintf(`<tr><td bgcolor="%s" color="%s" style="%s" border="1" width="22"> </td><td align="left">%s</td></tr>`, fill, border, style, text)
	}
	var rows []string
	for _, r := range [][4]string{
		{stateColours["isolated"][0], stateColours["isolated"][1], "rounded", "isolated by policies"},
		{stateColours["open-ingress"][0], stateColours["open-ingress"][1], "rounded", "open one way (ingress or egress)"},
		{stateColours["open-both"][0], stateColours["open-both"][1], "rounded", "open both ways"},
		{stateColours["isolated"][0], clusterDenyColour, "rounded", "denied by a cluster policy (double border)"},
		{stateColours["external"][0], stateColours["external"][1], "dashed", "outside the cluster"},
		{stateColours["group"][0], stateColours["group"][1], "rounded", "group: any pod open, or a set of addresses"},
	} {
		rows = append(rows, row(r[0], r[1], r[2], r[3]))
	}
	for _, r := range [][2]string{
		{"solid arrow", "may connect on the ports labelled"},
		{"dashed arrow", "only some pod pairs (ports every pair may use)"},
		{"dotted orange", "undecided or ambiguous ports"},
		{"grey dashes", "a member of a group"},
		{"a cluster's border", "any pod of the namespace"},
	} {
		rows = append(rows, fmt.Sprintf(`<tr><td align="left"><i>%s</i></td><td align="left">%s</td></tr>`, r[0], r[1]))
	}
	fmt.Fprintf(b, "  \"legend\" [shape=plaintext, style=\"\", fontsize=9, label=<<table border=\"1\" color=\"#e5e7eb\" cellborder=\"0\" cellspacing=\"2\" cellpadding=\"2\"><tr><td colspan=\"2\" align=\"left\"><b>legend</b></td></tr>%s</table>>];\n", strings.Join(rows, ""))
}

// graphMermaid renders a Mermaid flowchart (GitHub renders it) from the
// picture, as graphDot does; every label goes through mermaidLabel.
func graphMermaid(w io.Writer, g *query.Graph, rules []*query.UnitExplanation) error {
	p := newPicture(g, rules)
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, c := range p.Clusters {
		ids[c.ID] = fmt.Sprintf("c%d", i)
	}
	byCluster := map[string][]picNode{}
	for i, n := range p.Nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
		byCluster[n.Cluster] = append(byCluster[n.Cluster], n)
	}
	writeNode := func(indent string, n picNode) {
		// One line: "<br>" would be markup, and no name may be.
		label := mermaidLabel(strings.Join(slices.DeleteFunc([]string{n.Name, n.Sub, n.Note}, func(s string) bool { return s == "" }), " · "))
		switch n.Kind {
		case picJunction:
			fmt.Fprintf(&b, "%s%s(( ))\n", indent, ids[n.ID])
		case "External":
			fmt.Fprintf(&b, "%s%s([\"%s\"])\n", indent, ids[n.ID], label)
		case query.KindGroup:
			fmt.Fprintf(&b, "%s%s((\"%s\"))\n", indent, ids[n.ID], label)
		default:
			fmt.Fprintf(&b, "%s%s[\"%s\"]\n", indent, ids[n.ID], label)
		}
	}
	for _, c := range p.Clusters {
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", ids[c.ID], lines(clusterTitle(c), mermaidLabel, " · "))
		for _, n := range byCluster[c.ID] {
			writeNode("    ", n)
		}
		b.WriteString("  end\n")
	}
	for _, n := range byCluster[""] {
		writeNode("  ", n)
	}
	for _, e := range p.Edges {
		arrow := "-->"
		switch {
		case e.Member:
			arrow = "-.-"
		case e.Both:
			arrow = "<-->"
		case strings.HasPrefix(e.To, "junction:"):
			arrow = "---"
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", ids[e.From], arrow, mermaidLabel(e.Label), ids[e.To])
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", ids[e.From], arrow, ids[e.To])
		}
	}
	classes := map[string][]string{}
	var order []string
	for _, n := range p.Nodes {
		cls := n.State
		if n.ClusterDeny {
			cls = "clusterdeny"
		}
		if cls == "junction" {
			continue
		}
		cls = strings.ReplaceAll(cls, "-", "")
		if _, ok := classes[cls]; !ok {
			order = append(order, cls)
		}
		classes[cls] = append(classes[cls], ids[n.ID])
	}
	for _, cls := range order {
		c, ok := stateColours[map[string]string{"isolated": "isolated", "openingress": "open-ingress", "openegress": "open-egress", "openboth": "open-both", "external": "external", "group": "group", "clusterdeny": "isolated"}[cls]]
		if !ok {
			continue
		}
		stroke := c[1]
		if cls == "clusterdeny" {
			stroke = clusterDenyColour
		}
		fmt.Fprintf(&b, "  classDef %s fill:%s,stroke:%s\n  class %s %s\n", cls, c[0], stroke, strings.Join(classes[cls], ","), cls)
	}
	b.WriteString("  %% colours: blue isolated, amber open one way, red open both ways, purple border denied by a cluster policy, grey outside the cluster; dotted edges undecided or ambiguous\n")
	if g.Profile != nil {
		b.WriteString("  %% " + cell(judgedAs(g.Profile)) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
