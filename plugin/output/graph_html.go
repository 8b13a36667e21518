package output

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

//go:embed graph.html.tmpl
var graphHTMLText string

// The page's script and style, and the layout engine it runs: elkjs,
// vendored unmodified (assets/README.md says which version and how to
// fetch it; make elkjs).
var (
	//go:embed assets/graph.js
	graphDataJS string
	//go:embed assets/graph-view.js
	graphViewJS string
	//go:embed assets/graph-draw.js
	graphDrawJS string
	//go:embed assets/graph-ui.js
	graphUIJS string
	// graphJS is the page's script: data, view, drawing, answers.
	graphJS = graphDataJS + graphViewJS + graphDrawJS + graphUIJS
	//go:embed assets/graph.css
	graphCSS string
	//go:embed assets/elk.bundled.js
	elkJS string
)

// elkNotice goes before elkjs in the page, which distributes it: what it
// is, its license, and where its source is (EPL-2.0, section 3).
const elkNotice = `/*
 * elkjs 0.12.1, the Eclipse Layout Kernel for JavaScript: lib/elk.bundled.js,
 * unmodified. Copyright (c) Kiel University and others (the ELK contributors).
 * Made available under the Eclipse Public License 2.0 (EPL-2.0),
 * https://www.eclipse.org/legal/epl-2.0/ ; source: https://github.com/kieler/elkjs
 * (tag 0.12.1). kubectl-netpol embeds it to lay out this page offline.
 */
`

var graphHTMLTemplate = template.Must(template.New("graph.html").Parse(graphHTMLText))

// graphHTMLData is what the page template sees.
type graphHTMLData struct {
	// JSON is the graph as encoding/json writes it, Picture the picture
	// drawn of it and Rules the rules of its workloads. json.Marshal
	// escapes <, > and & (and U+2028, U+2029), so no name can close the
	// script element that holds them, and they are therefore safe as
	// template.JS.
	JSON, Picture, Rules template.JS
	// JudgedAs names the profile the map was judged under; the template
	// escapes it.
	JudgedAs string
	// Script, Style and ELK are the page's own script and style and the
	// layout engine, from this package's files (TestPageAssetsCannotCloseTheirElements).
	Script, ELK template.JS
	Style       template.CSS
}

// GraphHTML writes the reachability map as one self-contained HTML page,
// without the workloads' rules (GraphPicture takes them).
func GraphHTML(w io.Writer, g *query.Graph) error { return graphHTML(w, g, nil) }

// graphHTML writes the page: the graph, its picture and the workloads'
// rules as JSON, the script that lays the picture out with elkjs and
// draws it as SVG, with no resource fetched from the network.
func graphHTML(w io.Writer, g *query.Graph, rules []*query.UnitExplanation) error {
	view := query.Graph{TypeMeta: query.Document(query.KindGraph), SchemaVersion: query.SchemaVersion, Nodes: []query.Node{}, Edges: []query.Edge{}}
	if g != nil {
		view = *g
		if view.Nodes == nil {
			view.Nodes = []query.Node{}
		}
		if view.Edges == nil {
			view.Edges = []query.Edge{}
		}
	}
	data := graphHTMLData{Script: template.JS(graphJS), ELK: template.JS(elkNotice + elkJS), Style: template.CSS(graphCSS)}
	for _, part := range []struct {
		to *template.JS
		v  any
	}{{&data.JSON, &view}, {&data.Picture, newPicture(&view, rules)}, {&data.Rules, pageRulesOf(rules)}} {
		b, err := json.Marshal(part.v)
		if err != nil {
			return fmt.Errorf("encode html: %w", err)
		}
		*part.to = template.JS(b)
	}
	if view.Profile != nil {
		data.JudgedAs = judgedAs(view.Profile)
	}
	var buf bytes.Buffer
	if err := graphHTMLTemplate.Execute(&buf, data); err != nil {
		return fmt.Errorf("encode html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// pageRules are the workloads' rules as the page reads them: each rule
// once, in a table, and per workload and direction the indexes of the
// rules that judge it.
type pageRules struct {
	Rules     []pageRule              `json:"rules"`
	Workloads map[string]pageWorkload `json:"workloads"`
}

// pageRule is a rule of a NetworkPolicy (Peers say what it matches) or of
// a cluster policy (Tier and Action; no peers resolved).
type pageRule struct {
	Policy         string              `json:"policy"`
	Rule           string              `json:"rule"`
	Description    string              `json:"description"`
	Deny           bool                `json:"deny,omitempty"`
	MatchesNothing bool                `json:"matchesNothing,omitempty"`
	Peers          []query.PeerSummary `json:"peers,omitempty"`
	Tier           string              `json:"tier,omitempty"`
	Action         string              `json:"action,omitempty"`
}

type pageWorkload struct {
	Ingress pageDirection `json:"ingress"`
	Egress  pageDirection `json:"egress"`
}

type pageDirection struct {
	Isolated bool     `json:"isolated"`
	Policies []string `json:"policies"`
	// Rules and Cluster index pageRules.Rules.
	Rules   []int  `json:"rules"`
	Cluster []int  `json:"cluster,omitempty"`
	Risk    string `json:"risk,omitempty"`
}

func pageRulesOf(rules []*query.UnitExplanation) *pageRules {
	out := &pageRules{Rules: []pageRule{}, Workloads: map[string]pageWorkload{}}
	index := map[string]int{}
	intern := func(key string, r pageRule) int {
		if i, ok := index[key]; ok {
			return i
		}
		index[key] = len(out.Rules)
		out.Rules = append(out.Rules, r)
		return index[key]
	}
	dir := func(d query.DirectionSummary) pageDirection {
		pd := pageDirection{Isolated: d.Isolated, Policies: []string{}, Rules: []int{}, Risk: d.Risk}
		for _, p := range d.Policies {
			pd.Policies = append(pd.Policies, p.Name)
		}
		for _, r := range d.Rules {
			pd.Rules = append(pd.Rules, intern("np\x00"+r.Policy+"\x00"+r.Rule, pageRule{Policy: r.Policy, Rule: r.Rule,
				Description: r.Description, Deny: r.Deny, MatchesNothing: r.MatchesNothing, Peers: r.Peers}))
		}
		for _, r := range d.ClusterRules {
			pd.Cluster = append(pd.Cluster, intern("cp\x00"+r.Kind+"\x00"+r.Policy+"\x00"+r.Rule+"\x00"+string(d.Direction), pageRule{
				Policy: r.Kind + " " + r.Policy, Rule: r.Rule, Description: r.Description, Tier: string(r.Tier), Action: string(r.Action)}))
		}
		return pd
	}
	for _, ue := range rules {
		out.Workloads[ue.Workload] = pageWorkload{Ingress: dir(ue.Ingress), Egress: dir(ue.Egress)}
	}
	return out
}
