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

var graphHTMLTemplate = template.Must(template.New("graph.html").Parse(graphHTMLText))

// graphHTMLData is what the page template sees.
type graphHTMLData struct {
	// JSON is the graph as encoding/json writes it. json.Marshal escapes
	// <, > and & (and U+2028, U+2029), so no name can close the script
	// element that holds it, and it is therefore safe as template.JS.
	JSON template.JS
	// JudgedAs names the profile the map was judged under; the template
	// escapes it.
	JudgedAs string
}

// GraphHTML writes the reachability map as one self-contained HTML page:
// the graph as JSON data plus inline CSS and JavaScript that draw it as an
// SVG, with no resource fetched from the network.
func GraphHTML(w io.Writer, g *query.Graph) error {
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
	b, err := json.Marshal(&view)
	if err != nil {
		return fmt.Errorf("encode html: %w", err)
	}
	var buf bytes.Buffer
	data := graphHTMLData{JSON: template.JS(b)}
	if view.Profile != nil {
		data.JudgedAs = judgedAs(view.Profile)
	}
	if err := graphHTMLTemplate.Execute(&buf, data); err != nil {
		return fmt.Errorf("encode html: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
