package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func workload(kind, ns, name string, pods int, ingress, egress bool) query.Node {
	return query.Node{ID: strings.ToLower(kind) + " " + ns + "/" + name, Kind: kind, Namespace: ns, Name: name,
		Pods: pods, IngressIsolated: ingress, EgressIsolated: egress}
}

func external(name string) query.Node {
	return query.Node{ID: name, Kind: "External", Name: name}
}

// threeTierGraph resembles the three-tier example: an isolated prod, an
// open kube-system DNS, and wide-open dev and test namespaces.
func threeTierGraph() *query.Graph {
	tcp := func(p int32) query.PortSet { return query.SinglePort(corev1.ProtocolTCP, p) }
	dns := tcp(53).Union(query.SinglePort(corev1.ProtocolUDP, 53))
	g := &query.Graph{SchemaVersion: query.SchemaVersion, Nodes: []query.Node{
		workload("Deployment", "prod", "web", 3, true, true),
		workload("Deployment", "prod", "api", 2, true, true),
		workload("Deployment", "prod", "db", 1, true, true),
		workload("Deployment", "kube-system", "coredns", 2, false, false),
		workload("Deployment", "dev", "frontend", 2, false, false),
		workload("Deployment", "dev", "backend", 1, false, false),
		workload("Deployment", "test", "runner", 1, false, false),
		workload("StatefulSet", "test", "mock", 1, true, false),
		external("192.168.5.10/32"),
		external("any other IPv4 address"),
	}}
	edge := func(from, to string, ports query.PortSet) {
		g.Edges = append(g.Edges, query.Edge{From: from, To: to, Ports: &ports})
	}
	edge("deployment prod/web", "deployment prod/api", tcp(5000))
	edge("deployment prod/api", "deployment prod/db", tcp(3306))
	for _, c := range []string{"web", "api", "db"} {
		edge("deployment prod/"+c, "deployment kube-system/coredns", dns)
	}
	edge("deployment prod/db", "192.168.5.10/32", tcp(80))
	edge("any other IPv4 address", "deployment prod/web", tcp(80))
	open := []string{"deployment dev/frontend", "deployment dev/backend", "deployment test/runner", "statefulset test/mock"}
	for _, a := range open {
		for _, b := range open {
			if a != b && b != "statefulset test/mock" {
				edge(a, b, query.AllPorts())
			}
		}
	}
	edge("deployment test/runner", "statefulset test/mock", tcp(8080))
	edge("deployment dev/frontend", "deployment dev/frontend", query.AllPorts())
	return g
}

func renderGraphHTML(t *testing.T, g *query.Graph) string {
	t.Helper()
	var b bytes.Buffer
	if err := GraphHTML(&b, g); err != nil {
		t.Fatalf("GraphHTML: %v", err)
	}
	return b.String()
}

// pageScripts is how many script elements the page has: the error hook,
// the graph, its picture, the rules, elkjs and the page's own.
const pageScripts = 6

var (
	urlRE    = regexp.MustCompile(`https?://[^\s'"<>)]+`)
	cssURLRE = regexp.MustCompile(`url\([^)]*\)`)
)

var graphDataRE = regexp.MustCompile(`(?s)<script type="application/json" id="graph-data">(.*?)</script>`)

// pageGraph decodes the graph data the page carries.
func pageGraph(t *testing.T, page string) query.Graph {
	t.Helper()
	m := graphDataRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no graph-data script in the page")
	}
	var g query.Graph
	if err := json.Unmarshal([]byte(m[1]), &g); err != nil {
		t.Fatalf("graph-data is not JSON: %v\n%s", err, m[1])
	}
	return g
}

func TestGraphHTMLPage(t *testing.T) {
	g := threeTierGraph()
	page := renderGraphHTML(t, g)
	for _, want := range []string{"<!DOCTYPE html>", "<title>kubectl netpol map</title>", `id="details"`, `id="filter"`, "</html>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n, m := strings.Count(page, "<script"), strings.Count(page, "</script>"); n != pageScripts || m != pageScripts {
		t.Errorf("page has %d <script and %d </script>, want %d of each", n, m, pageScripts)
	}
	// Self-contained: nothing is loaded from elsewhere. elkjs is checked
	// apart (TestPageEmbedsThePinnedELK): its text names XML namespaces.
	own := strings.Replace(page, elkJS, "", 1)
	for _, bad := range []string{"<link", " src=", "@import", "fetch(", "XMLHttpRequest", "importScripts", "new Worker", "<iframe"} {
		if strings.Contains(own, bad) {
			t.Errorf("page refers to an external resource: %q", bad)
		}
	}
	// The addresses it names are the SVG namespace and, in words, where
	// elkjs and its license are; CSS and SVG url()s point within the page.
	for _, u := range urlRE.FindAllString(own, -1) {
		if !slices.Contains([]string{"http://www.w3.org/2000/svg", "https://www.eclipse.org/legal/epl-2.0/", "https://github.com/kieler/elkjs"}, u) {
			t.Errorf("page names an address: %q", u)
		}
	}
	for _, u := range cssURLRE.FindAllString(own, -1) {
		if !strings.HasPrefix(u, "url(#") {
			t.Errorf("page refers to %q", u)
		}
	}
	if !strings.Contains(page, elkJS) || !strings.Contains(page, "Eclipse Public License 2.0") {
		t.Errorf("page lacks elkjs or its license notice")
	}
	if strings.Contains(page, "ZgotmplZ") {
		t.Errorf("html/template rejected a value")
	}
	// The data round-trips: every node, every edge with its ports.
	got := pageGraph(t, page)
	want, _ := json.Marshal(g)
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Errorf("page data differs from the graph:\n got %s\nwant %s", have, want)
	}
	for _, n := range g.Nodes {
		if !slices.ContainsFunc(got.Nodes, func(o query.Node) bool { return o.ID == n.ID }) {
			t.Errorf("page lacks node %q", n.ID)
		}
	}
}

func TestGraphFormatHTML(t *testing.T) {
	var b bytes.Buffer
	if err := Graph(&b, "html", threeTierGraph(), Table{}); err != nil {
		t.Fatalf("-o html: %v", err)
	}
	if !strings.Contains(b.String(), "<title>kubectl netpol map</title>") {
		t.Errorf("-o html does not write the page")
	}
}

func TestGraphHTMLEscapesNames(t *testing.T) {
	hostile := `</script><script>alert(1)</script>`
	g := &query.Graph{Nodes: []query.Node{workload("Pod", "evil", hostile, 1, false, false), external(`"><img src=x onerror=alert(2)>`)}}
	g.Edges = []query.Edge{{From: g.Nodes[0].ID, To: g.Nodes[1].ID, Ports: ptr.To(query.AllPorts())}}
	page := renderGraphHTML(t, g)
	if n := strings.Count(page, "</script>"); n != pageScripts {
		t.Errorf("the hostile name closed a script element: %d </script>, want %d", n, pageScripts)
	}
	for _, bad := range []string{"<script>alert", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	got := pageGraph(t, page)
	if len(got.Nodes) != 2 || got.Nodes[0].Name != hostile || got.Nodes[1].ID != g.Nodes[1].ID {
		t.Errorf("hostile names not carried intact: %+v", got.Nodes)
	}
}

func TestGraphHTMLEmpty(t *testing.T) {
	for _, g := range []*query.Graph{nil, {}} {
		got := pageGraph(t, renderGraphHTML(t, g))
		if got.Nodes == nil || got.Edges == nil || len(got.Nodes)+len(got.Edges) != 0 {
			t.Errorf("empty graph: got %+v, want empty lists", got)
		}
	}
}

var (
	tagRE   = regexp.MustCompile(`<[a-z]+\b(?:[^>"]|"[^"]*")*>`)
	attrRE  = regexp.MustCompile(`\s([a-z-]+)="([^"]*)"`)
	portsRE = regexp.MustCompile(`<div class="ports">([^<]*)</div>`)
)

// element is a start tag of the dumped DOM.
type element struct {
	tag   string
	attrs map[string]string
	at    int // offset of the tag in the DOM
}

func elements(dom string) []element {
	var out []element
	for _, loc := range tagRE.FindAllStringIndex(dom, -1) {
		s := dom[loc[0]:loc[1]]
		e := element{tag: strings.Fields(strings.TrimPrefix(strings.TrimSuffix(s, ">"), "<"))[0], attrs: map[string]string{}, at: loc[0]}
		for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
			e.attrs[a[1]] = html.UnescapeString(a[2])
		}
		out = append(out, e)
	}
	return out
}

func hasClass(e element, c string) bool { return slices.Contains(strings.Fields(e.attrs["class"]), c) }

// checkPage asserts the scripts ran without errors and drew every node; it
// returns the elements of the DOM.
func checkPage(t *testing.T, dom string, g *query.Graph) []element {
	t.Helper()
	els := elements(dom)
	i := slices.IndexFunc(els, func(e element) bool { return e.tag == "body" })
	if i < 0 {
		t.Fatalf("no body in the dumped DOM:\n%s", tail(dom))
	}
	body := els[i].attrs
	if body["data-errors"] != "" {
		t.Errorf("script errors: %s", body["data-errors"])
	}
	if body["data-ready"] != "yes" {
		t.Fatalf("page did not finish rendering (data-ready=%q)", body["data-ready"])
	}
	if body["data-pwned"] != "" {
		t.Errorf("a node name ran as a script")
	}
	t.Logf("page open in %sms (its script %sms)", body["data-open-ms"], body["data-render-ms"])
	drawn := map[string]int{}
	for _, e := range els {
		if e.tag == "g" && (hasClass(e, "node") || hasClass(e, "cluster")) || e.tag == "circle" && hasClass(e, "junction") {
			drawn[e.attrs["data-id"]]++
		}
	}
	if body["data-large"] == "" {
		// Every node and cluster of the picture, once.
		p := newPicture(g, nil)
		want := 0
		for _, n := range p.Nodes {
			if drawn[n.ID] != 1 && n.Kind != picJunction {
				t.Errorf("node %q drawn %d times, want once", n.ID, drawn[n.ID])
			}
			want++
		}
		for _, c := range p.Clusters {
			if drawn[c.ID] != 1 {
				t.Errorf("cluster %q drawn %d times, want once", c.ID, drawn[c.ID])
			}
			want++
		}
		if len(drawn) != want {
			t.Errorf("%d nodes and clusters drawn, want %d", len(drawn), want)
		}
	}
	return els
}

// peers lists the entries of the details panel: "in deployment prod/api: TCP 3306".
func peers(dom string, els []element) []string {
	var out []string
	for _, e := range els {
		if e.tag != "li" || e.attrs["data-dir"] == "" {
			continue
		}
		end := strings.Index(dom[e.at:], "</li>")
		var ports string
		if m := portsRE.FindStringSubmatch(dom[e.at : e.at+end]); m != nil {
			ports = html.UnescapeString(m[1])
		}
		out = append(out, fmt.Sprintf("%s %s: %s", e.attrs["data-dir"], e.attrs["data-peer"], ports))
	}
	return out
}

func writePage(t *testing.T, g *query.Graph) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "map.html")
	var b bytes.Buffer
	if err := GraphHTML(&b, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

func TestGraphHTMLInChromium(t *testing.T) {
	browser := chromium(t)
	g := threeTierGraph()
	g.Nodes = append(g.Nodes, workload("Pod", "prod", `</script><script>document.body.dataset.pwned="yes"</script>`, 1, false, false))
	page := writePage(t, g)

	t.Run("render", func(t *testing.T) {
		t.Parallel()
		dom := dumpDOM(t, browser, page)
		els := checkPage(t, dom, g)
		for _, e := range els {
			if e.tag == "path" && hasClass(e, "edge") && (hasClass(e, "in") || hasClass(e, "out")) {
				t.Errorf("an edge is highlighted with nothing selected")
			}
		}
		if !strings.Contains(dom, "Open workloads (6)") {
			t.Errorf("details panel does not list the 6 open workloads")
		}
	})
	t.Run("select", func(t *testing.T) {
		t.Parallel()
		dom := dumpDOM(t, browser, page+"#select="+url.PathEscape("deployment prod/db"))
		els := checkPage(t, dom, g)
		for _, e := range els {
			if e.tag == "g" && hasClass(e, "node") && hasClass(e, "sel") != (e.attrs["data-id"] == "deployment prod/db") {
				t.Errorf("node %q selected: %v", e.attrs["data-id"], hasClass(e, "sel"))
			}
		}
		got := peers(dom, els)
		want := []string{
			"in deployment prod/api: TCP 3306",
			"out 192.168.5.10/32: TCP 80",
			"out deployment kube-system/coredns: TCP 53; UDP 53",
		}
		if !slices.Equal(got, want) {
			t.Errorf("details panel lists\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !strings.Contains(dom, "Reached by (1)") || !strings.Contains(dom, "Reaches (2)") {
			t.Errorf("details panel lacks the Reached by / Reaches headings")
		}
	})
	t.Run("counts", func(t *testing.T) {
		t.Parallel()
		g := &query.Graph{Nodes: []query.Node{workload("Deployment", "prod", "db", 1, true, true), external("192.168.5.10/32")},
			Edges: []query.Edge{{From: "deployment prod/db", To: "192.168.5.10/32", Ports: ptr.To(query.SinglePort(corev1.ProtocolTCP, 80))}}}
		dom := dumpDOM(t, browser, writePage(t, g)+"#select="+url.PathEscape("deployment prod/db"))
		checkPage(t, dom, g)
		for _, want := range []string{">1 workload<", ">2 nodes, 1 edge, 0 open<", "Deployment · 1 pod<", ", 1 pod<"} {
			if !strings.Contains(dom, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("large", func(t *testing.T) {
		t.Parallel()
		big := largeGraph(300, 3000)
		sel := big.Nodes[7]
		page := writePage(t, big)
		// Nothing selected: the namespaces, and the edges between them.
		els := checkPage(t, dumpDOM(t, browser, page), big)
		edges := 0
		for _, e := range els {
			if e.tag == "g" && hasClass(e, "node") && !strings.HasPrefix(e.attrs["data-id"], "ns:") {
				t.Errorf("the overview of a large map draws workload %q", e.attrs["data-id"])
			}
			if e.tag == "path" && hasClass(e, "edge") {
				edges++
				if !strings.HasPrefix(e.attrs["data-from"], "ns:") || !strings.HasPrefix(e.attrs["data-to"], "ns:") {
					t.Errorf("the overview of a large map draws an edge %s -> %s, not between namespaces", e.attrs["data-from"], e.attrs["data-to"])
				}
			}
		}
		if edges == 0 || edges > 12*11 {
			t.Errorf("the overview draws %d edges, want one per pair of namespaces at most", edges)
		}
		// A workload selected: its namespace open, its peers collapsed.
		dom := dumpDOM(t, browser, page+"#select="+url.PathEscape(sel.ID))
		els = checkPage(t, dom, big)
		if !strings.Contains(dom, "it shows an aggregated view") || !strings.Contains(dom, "kubectl netpol map -n NS") {
			t.Errorf("page does not say that it shows an aggregated view and how to focus")
		}
		selected, paths := 0, 0
		for _, e := range els {
			id := e.attrs["data-id"]
			if e.tag == "g" && hasClass(e, "node") && !strings.HasPrefix(id, "ns:") && !strings.Contains(id, " "+sel.Namespace+"/") {
				t.Errorf("workload %q of another namespace drawn, want its namespace collapsed", id)
			}
			if e.tag == "g" && hasClass(e, "sel") {
				selected++
				if id != sel.ID {
					t.Errorf("%q selected, want %q", id, sel.ID)
				}
			}
			if e.tag == "path" && hasClass(e, "edge") {
				paths++
			}
		}
		if selected != 1 || paths == 0 {
			t.Errorf("%d nodes selected and %d edges drawn, want the one selected and its namespace's edges", selected, paths)
		}
	})
}

// largeGraph is n workloads in 12 namespaces with m pseudo-random edges.
func largeGraph(n, m int) *query.Graph {
	g := &query.Graph{}
	for i := range n {
		g.Nodes = append(g.Nodes, workload("Deployment", fmt.Sprintf("ns-%02d", i%12), fmt.Sprintf("app-%03d", i), 1+i%4, i%3 != 0, i%5 != 0))
	}
	seen := map[[2]int]bool{}
	for x := uint32(7); len(g.Edges) < m; {
		x = x*1664525 + 1013904223
		a, b := int(x>>8)%n, int(x>>20)%n
		if seen[[2]int{a, b}] {
			continue
		}
		seen[[2]int{a, b}] = true
		g.Edges = append(g.Edges, query.Edge{From: g.Nodes[a].ID, To: g.Nodes[b].ID,
			Ports: ptr.To(query.SinglePort(corev1.ProtocolTCP, int32(1000+a))), Partial: a%7 == 0})
	}
	return g
}
