package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

var updateScreenshots = flag.Bool("update", false, "rewrite the map's screenshots, testdata/screenshots/*.png")

// examples are the maps whose pages are laid out in Chromium: the bundled
// three-tier example and a 40-workload shop in one namespace.
var examples = []struct{ name, dir, selected string }{
	{"three-tier", "../../testdata/three-tier", "deployment prod/db"},
	{"shop40", "../../testdata/shop40", "deployment shop/checkout-api"},
}

// examplePage writes the page "map -A -o html" draws of the manifests in
// dir, with the workloads' rules, and returns its URL.
func examplePage(t *testing.T, dir string) (string, *query.Graph) {
	t.Helper()
	objs, err := load.Manifests(load.Source{Filenames: []string{dir}}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	g := s.Graph(query.GraphOptions{Aggregate: true})
	var ids []string
	for _, n := range g.Nodes {
		if n.Kind != "External" && n.Kind != query.KindGroup {
			ids = append(ids, n.ID)
		}
	}
	var b bytes.Buffer
	if err := GraphPicture(&b, "html", g, s.ExplainRules(ids)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "map.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String(), g
}

// boxHook, appended to a page, waits for it to be drawn and writes the
// boxes a reader must see apart, as the browser lays them out, into
// <pre id="boxes">: the node boxes, the edge labels and the cluster
// titles. It knows the classes of this page and of the page before
// elkjs (text.elabel, g.group > text), so that the check can be shown to
// fail on the old layout.
const boxHook = `<script>
(function wait() {
  var r = document.body.dataset.ready;
  if (r !== 'yes' && r !== 'failed') return setTimeout(wait, 25);
  function boxes(sel, name) {
    return Array.prototype.map.call(document.querySelectorAll(sel), function (e) {
      var b = e.getBoundingClientRect(), g = e.closest('[data-id]');
      return { what: name(e, g), x: b.left, y: b.top, w: b.width, h: b.height };
    }).filter(function (b) { return b.w > 0 && b.h > 0; });
  }
  var out = {
    nodes: boxes('g.node > rect', function (e, g) { return g ? g.getAttribute('data-id') : '?'; }),
    labels: boxes('.elabel', function (e) { return e.textContent; }),
    titles: boxes('.ctitle, g.group:not(.node) > text', function (e) { return e.textContent; })
  };
  var pre = document.createElement('pre');
  pre.id = 'boxes';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

// box is a drawn box, in CSS pixels.
type box struct {
	What       string
	X, Y, W, H float64
}

func (a box) overlaps(b box) bool {
	const eps = 0.5 // touching is not overlapping
	return a.X+eps < b.X+b.W && b.X+eps < a.X+a.W && a.Y+eps < b.Y+b.H && b.Y+eps < a.Y+a.H
}

type pageBoxes struct{ Nodes, Labels, Titles []box }

var boxesRE = regexp.MustCompile(`(?s)<pre id="boxes">(.*?)</pre>`)

// layoutBoxes loads the page with boxHook in Chromium and returns what
// it measured, and the DOM.
func layoutBoxes(t *testing.T, browser, pageURL string) (pageBoxes, string) {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(u.Path)
	if err != nil {
		t.Fatal(err)
	}
	hooked := filepath.Join(t.TempDir(), "hooked.html")
	if err := os.WriteFile(hooked, bytes.Replace(page, []byte("</body>"), []byte(boxHook+"</body>"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := dumpDOM(t, browser, (&url.URL{Scheme: "file", Path: filepath.ToSlash(hooked), Fragment: u.Fragment}).String())
	m := boxesRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page did not report its boxes:\n%s", tail(dom))
	}
	var b pageBoxes
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &b); err != nil {
		t.Fatal(err)
	}
	return b, dom
}

// overlapping lists the boxes a reader cannot tell apart: two nodes, two
// edge labels, a label on a node, a label on a cluster's title.
func overlapping(b pageBoxes) []string {
	var out []string
	pairs := func(kind string, xs, ys []box, same bool) {
		for i, x := range xs {
			start := 0
			if same {
				start = i + 1
			}
			for _, y := range ys[start:] {
				if x.overlaps(y) {
					out = append(out, fmt.Sprintf("%s: %q and %q", kind, x.What, y.What))
				}
			}
		}
	}
	pairs("two nodes", b.Nodes, b.Nodes, true)
	pairs("two edge labels", b.Labels, b.Labels, true)
	pairs("an edge label on a node", b.Labels, b.Nodes, false)
	pairs("an edge label on a cluster title", b.Labels, b.Titles, false)
	return out
}

// TestMapPagesLayOutWithoutOverlaps lays out the examples' pages in
// Chromium: no two node boxes, no two edge labels overlap, no label
// lies on a node or a namespace's title, and the page writes nothing to
// the console (runChromium). It takes their screenshots, at two
// densities, and with a workload selected: with -update into
// testdata/screenshots, else into a temporary directory it logs.
func TestMapPagesLayOutWithoutOverlaps(t *testing.T) {
	browser := chromium(t)
	shots := t.TempDir()
	if *updateScreenshots {
		shots = filepath.Join("..", "..", "testdata", "screenshots")
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			page, g := examplePage(t, ex.dir)
			b, dom := layoutBoxes(t, browser, page)
			checkPage(t, dom, g)
			if len(b.Nodes) == 0 || len(b.Labels) == 0 || len(b.Titles) == 0 {
				t.Fatalf("measured %d nodes, %d labels, %d titles: the hook found nothing to check", len(b.Nodes), len(b.Labels), len(b.Titles))
			}
			for _, o := range overlapping(b) {
				t.Errorf("overlap: %s", o)
			}
			t.Logf("%d nodes, %d labels, %d titles apart", len(b.Nodes), len(b.Labels), len(b.Titles))
			if ex.name == "three-tier" {
				checkThreeTierChain(t, b, dom)
			}
			shot := func(name, fragment string) {
				png := filepath.Join(shots, name+".png")
				runChromium(t, browser, "--window-size=1920,1080", "--screenshot="+png, page+fragment)
				if st, err := os.Stat(png); err != nil || st.Size() == 0 {
					t.Fatalf("no screenshot: %v", err)
				}
				t.Logf("screenshot: %s", png)
			}
			shot(ex.name, "")
			if ex.selected != "" {
				shot(ex.name+"-selected", "#select="+url.PathEscape(ex.selected))
			}
		})
	}
}

// TestOverlapCheckFailsOnTheOldLayout runs the check on the page as the
// map drew three-tier before elkjs laid it out (testdata): labels on
// labels and on namespace titles, which the check must find.
func TestOverlapCheckFailsOnTheOldLayout(t *testing.T) {
	browser := chromium(t)
	abs, err := filepath.Abs(filepath.Join("testdata", "old-layout-three-tier.html"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := layoutBoxes(t, browser, (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String())
	found := map[string]int{}
	for _, o := range overlapping(b) {
		kind, _, _ := strings.Cut(o, ":")
		found[kind]++
	}
	t.Logf("on the old layout: %v", found)
	if found["two edge labels"] == 0 || found["an edge label on a cluster title"] == 0 {
		t.Errorf("the check finds %v on the old layout, want overlapping labels and labels on titles", found)
	}
}

// checkThreeTierChain checks what a reader of the three-tier screenshot
// must see: web, api and db of prod left to right, joined by labelled
// edges, and the database's one edge out of the cluster, to the backup
// server.
func checkThreeTierChain(t *testing.T, b pageBoxes, dom string) {
	t.Helper()
	x := map[string]float64{}
	for _, n := range b.Nodes {
		x[n.What] = n.X
	}
	web, api, db := x["deployment prod/web"], x["deployment prod/api"], x["deployment prod/db"]
	if !(web < api && api < db) {
		t.Errorf("prod's web, api, db at x %v, %v, %v: want left to right", web, api, db)
	}
	edges := map[string]bool{}
	fromDB := 0
	for _, e := range elements(dom) {
		if e.tag == "path" && hasClass(e, "edge") {
			edges[e.attrs["data-from"]+" -> "+e.attrs["data-to"]] = true
			if e.attrs["data-from"] == "deployment prod/db" {
				fromDB++
			}
		}
	}
	for _, want := range []string{"deployment prod/web -> deployment prod/api", "deployment prod/api -> deployment prod/db", "deployment prod/db -> 192.168.5.10/32"} {
		if !edges[want] {
			t.Errorf("no edge %s drawn; drawn: %v", want, edges)
		}
	}
	if fromDB != 1 {
		t.Errorf("%d edges drawn from the database, want its one egress, to the backup server", fromDB)
	}
	for _, l := range []string{">TCP 5000<", ">TCP 3306<", ">TCP 80<"} {
		if !strings.Contains(dom, l) {
			t.Errorf("no edge label %s", l)
		}
	}
}

// TestPageEmbedsThePinnedELK checks the vendored elkjs against the sum
// the Makefile pins (make elkjs fetches it), so that a changed file is
// a reviewed bump.
func TestPageEmbedsThePinnedELK(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ELKJS_SHA256\s*\?=\s*([0-9a-f]{64})$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile pins no ELKJS_SHA256")
	}
	sum := sha256.Sum256([]byte(elkJS))
	if got := hex.EncodeToString(sum[:]); got != string(m[1]) {
		t.Errorf("assets/elk.bundled.js has sha256 %s, the Makefile pins %s", got, m[1])
	}
}

// TestPageAssetsCannotCloseTheirElements: the script and style go into
// the page as they are, so none may end its element early.
func TestPageAssetsCannotCloseTheirElements(t *testing.T) {
	for name, text := range map[string]string{"elk.bundled.js": elkJS, "graph*.js": graphJS, "elk notice": elkNotice} {
		if strings.Contains(strings.ToLower(text), "</script") || strings.Contains(text, "<!--") {
			t.Errorf("%s holds </script or <!--", name)
		}
	}
	if strings.Contains(strings.ToLower(graphCSS), "</style") {
		t.Errorf("graph.css holds </style")
	}
}

// TestMapPageFilters opens the three-tier page with the filters in its
// URL: a port keeps the flows that may use it, as map --port does (the
// others drawn nowhere, those kept drawn or noted), labelled with that
// port only; a namespace keeps it and its peers.
func TestMapPageFilters(t *testing.T) {
	browser := chromium(t)
	page, g := examplePage(t, examples[0].dir)
	p := newPicture(g, nil)
	noted := map[int]bool{}
	for _, c := range p.Clusters {
		for _, i := range c.Self {
			noted[i] = true
		}
	}
	for _, n := range p.Nodes {
		for _, i := range append(slices.Clone(n.Self), n.Hub...) {
			noted[i] = true
		}
	}
	for _, tc := range []struct {
		port  string
		proto corev1.Protocol
		n     int32
		label string
	}{{"3306", corev1.ProtocolTCP, 3306, "TCP 3306"}, {"53/udp", corev1.ProtocolUDP, 53, "UDP 53"}} {
		t.Run("port "+tc.port, func(t *testing.T) {
			dom := dumpDOM(t, browser, page+"#port="+tc.port)
			els := elements(dom)
			drawn := map[int]bool{}
			for _, e := range els {
				if e.tag != "path" || !hasClass(e, "edge") || hasClass(e, "member") {
					continue
				}
				for _, f := range strings.Fields(e.attrs["data-graph"]) {
					var i int
					fmt.Sscan(f, &i)
					drawn[i] = true
				}
			}
			kept := 0
			for i, e := range g.Edges {
				holds := e.Ports.Contains(tc.proto, tc.n) || e.Ambiguous != nil && e.Ambiguous.Contains(tc.proto, tc.n) || e.Undecided != nil && e.Undecided.Contains(tc.proto, tc.n)
				switch {
				case drawn[i] && !holds:
					t.Errorf("edge %s -> %s (%s) drawn, though it may not use %s", e.From, e.To, e.Ports, tc.port)
				case holds && !drawn[i] && !noted[i]:
					t.Errorf("edge %s -> %s (%s) may use %s and is drawn nowhere", e.From, e.To, e.Ports, tc.port)
				case holds:
					kept++
				}
			}
			if kept == 0 {
				t.Fatalf("no edge may use %s: the test checks nothing", tc.port)
			}
			for _, m := range regexp.MustCompile(`<g class="elabel[^"]*"[^>]*>.*?<text[^>]*>([^<]*)</text>`).FindAllStringSubmatch(dom, -1) {
				if m[1] != tc.label {
					t.Errorf("an edge is labelled %q, want only %q", m[1], tc.label)
				}
			}
		})
	}
	t.Run("namespace prod", func(t *testing.T) {
		dom := dumpDOM(t, browser, page+"#ns=prod")
		n := 0
		for _, e := range elements(dom) {
			if e.tag == "g" && hasClass(e, "node") {
				id := e.attrs["data-id"]
				if strings.Contains(id, " dev/") || strings.Contains(id, " test/") {
					t.Errorf("%s drawn, which neither is of prod nor reaches it on its own", id)
				}
				if strings.Contains(id, " prod/") {
					n++
				}
			}
		}
		if n != 3 {
			t.Errorf("%d workloads of prod drawn, want its 3", n)
		}
	})
}

// searchHook, appended to a page, types "db" in the search box, presses
// Enter, then Fit, and writes what the page shows into <pre id="result">.
const searchHook = `<script>
(function wait() {
  if (document.body.dataset.ready !== 'yes') return setTimeout(wait, 25);
  var f = document.getElementById('filter');
  f.value = 'db';
  f.dispatchEvent(new Event('input'));
  var matched = document.querySelectorAll('g.node.match').length, said = document.getElementById('matches').textContent;
  f.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
  (function selected() {
    var sel = document.querySelector('g.node.sel');
    if (!sel) return setTimeout(selected, 25);
    document.getElementById('zoom-fit').click();
    var pre = document.createElement('pre');
    pre.id = 'result';
    pre.textContent = JSON.stringify({ said: said, matched: matched, selected: sel.getAttribute('data-id'),
      hash: decodeURIComponent(location.hash), title: document.querySelector('#details h2').textContent,
      zoom: document.getElementById('zoom-level').textContent });
    document.body.appendChild(pre);
  })();
})();
</script>`

// TestMapPageSearch finds workloads by name: the matches marked and
// counted, Enter selects the first, which the URL then names.
func TestMapPageSearch(t *testing.T) {
	browser := chromium(t)
	page, _ := examplePage(t, examples[0].dir)
	u, _ := url.Parse(page)
	b, err := os.ReadFile(u.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.Path, bytes.Replace(b, []byte("</body>"), []byte(searchHook+"</body>"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindStringSubmatch(dumpDOM(t, browser, page))
	if m == nil {
		t.Fatal("the search did not select anything")
	}
	var got struct{ Said, Selected, Hash, Title, Zoom string }
	var matched struct{ Matched int }
	_ = json.Unmarshal([]byte(html.UnescapeString(m[1])), &matched)
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatal(err)
	}
	want := struct{ Said, Selected, Hash, Title, Zoom string }{"3 of 16 match", "deployment dev/db", "#select=deployment dev/db", "dev/db", got.Zoom}
	if got != want || matched.Matched != 3 {
		t.Errorf("search for db: got %+v with %d marked, want %+v with 3", got, matched.Matched, want)
	}
	if !strings.HasSuffix(got.Zoom, "%") {
		t.Errorf("zoom level %q after Fit", got.Zoom)
	}
}
