package output

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func TestPortsLabel(t *testing.T) {
	tcp := func(ps ...int32) query.PortSet {
		var s query.PortSet
		for _, p := range ps {
			s = s.Union(query.SinglePort(corev1.ProtocolTCP, p))
		}
		return s
	}
	tests := []struct {
		name                 string
		ports                query.PortSet
		ambiguous, undecided *query.PortSet
		want                 string
	}{
		{"decided ports are said as they are", tcp(80), nil, nil, "TCP 80"},
		{"undecided ports are said only as undecided", query.AllPorts(), nil, ptr.To(query.AllPorts()), "UNDECIDED all ports"},
		{"the decided rest comes first", tcp(80, 443), nil, ptr.To(tcp(443)), "TCP 80; UNDECIDED TCP 443"},
		{"ports only a variant allows", query.PortSet{}, nil, ptr.To(tcp(5432)), "UNDECIDED TCP 5432"},
		{"ambiguous ports keep name order, then undecided", tcp(80, 3306), ptr.To(tcp(3306)), ptr.To(tcp(80)), "TCP 3306; AMBIGUOUS TCP 3306; UNDECIDED TCP 80"},
		{"ambiguous alone, as before", query.PortSet{}, ptr.To(tcp(3306)), nil, "AMBIGUOUS TCP 3306"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := portsLabel(tc.ports, tc.ambiguous, tc.undecided); got != tc.want {
				t.Errorf("portsLabel = %q, want %q", got, tc.want)
			}
		})
	}
}

// undecidedGraph is a map under kube-router with one undecided edge and
// one that only some values of the unknown behaviour allow.
func undecidedGraph() *query.Graph {
	p, _ := query.ProfileNamed("kube-router")
	p.Why = "given with --cni"
	all, pg := query.AllPorts(), query.SinglePort(corev1.ProtocolTCP, 5432)
	return &query.Graph{SchemaVersion: query.SchemaVersion, Profile: &p,
		Nodes: []query.Node{workload("Pod", "shop", "client", 1, false, true), workload("Pod", "shop", "db", 1, false, false)},
		Edges: []query.Edge{
			{From: "pod shop/client", To: "pod shop/db", Ports: &all, Undecided: &all},
			{From: "pod shop/db", To: "pod shop/client", Ports: &query.PortSet{}, Undecided: &pg},
		}}
}

// TestGraphFormatsMarkUndecided pins that every format of the map marks
// the undecided edges and names the profile.
func TestGraphFormatsMarkUndecided(t *testing.T) {
	const judged = "judged as: kube-router: given with --cni"
	tests := []struct {
		format string
		want   []string
	}{
		{"", []string{"pod shop/client  pod shop/db      UNDECIDED all ports\n", "pod shop/db      pod shop/client  UNDECIDED TCP 5432\n", "\n" + judged + "\n"}},
		{"csv", []string{"from,to,ports,partial,ambiguous,undecided\n", "pod shop/db,pod shop/client,no ports,false,,TCP 5432\n"}},
		{"dot", []string{`"pod shop/client" -> "pod shop/db" [label="UNDECIDED all ports", style=dotted, color="#d97706"];`, `label="` + judged + `";`}},
		{"mermaid", []string{`-->|"UNDECIDED TCP 5432"|`, "  %% " + judged + "\n"}},
		{"json", []string{`"ports":[],"undecided":[{"protocol":"TCP","ranges":[{"from":5432,"to":5432}]}]}`, `"profile": {"name":"kube-router","plugin":"kube-router","why":"given with --cni","unknown":[`}},
		{"yaml", []string{"undecided:", "profile:\n  name: kube-router"}},
		{"html", []string{`<span id="profile">` + judged + `</span>`, `"undecided":[`}},
	}
	for _, tc := range tests {
		t.Run("-o "+tc.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Graph(&b, tc.format, undecidedGraph(), Table{}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			if tc.format == "" && !strings.HasSuffix(b.String(), judged+"\n") {
				t.Errorf("the text map does not end with the profile line:\n%s", b.String())
			}
		})
	}
}

// TestGraphHTMLShowsUndecided checks in a browser that the page says the
// undecided ports as the text does, draws the edges as unsure and names
// the profile.
func TestGraphHTMLShowsUndecided(t *testing.T) {
	browser := chromium(t)
	g := undecidedGraph()
	dom := dumpDOM(t, browser, writePage(t, g)+"#select="+url.PathEscape("pod shop/db"))
	els := checkPage(t, dom, g)
	got := peers(dom, els)
	want := []string{"in pod shop/client: UNDECIDED all ports", "out pod shop/client: UNDECIDED TCP 5432"}
	if !slices.Equal(got, want) {
		t.Errorf("details panel lists\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	unsure := 0
	for _, e := range els {
		if e.tag == "path" && hasClass(e, "edge") && hasClass(e, "unsure") {
			unsure++
		}
	}
	if unsure != 2 {
		t.Errorf("%d edges drawn as unsure, want 2", unsure)
	}
	for _, w := range []string{"undecided: the verdict on these ports depends on what the network plugin does", "judged as: kube-router: given with --cni"} {
		if !strings.Contains(dom, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// TestTextAnswersNameTheProfile pins the line that ends the text answers
// of explain, diff and audit, and that diff says undecided changes.
func TestTextAnswersNameTheProfile(t *testing.T) {
	p, _ := query.ProfileNamed("cilium")
	p.Why = "given with --cni"
	const judged = "judged as: cilium: given with --cni\n"
	all := query.AllPorts()
	check := func(t *testing.T, got string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("output lacks %q:\n%s", w, got)
			}
		}
		if !strings.HasSuffix(got, judged) {
			t.Errorf("output does not end with %q:\n%s", judged, got)
		}
	}
	t.Run("explain", func(t *testing.T) {
		var b bytes.Buffer
		ex := &query.Explanation{Namespace: "shop", Profile: &p, Workloads: []*query.UnitExplanation{{Workload: "pod shop/client",
			Egress: query.DirectionSummary{Direction: query.Egress, Isolated: true, Peers: []query.Reach{{Peer: "pod shop/db", Ports: all, Undecided: &all}}}}}}
		if err := Explain(&b, "", ex, Table{}); err != nil {
			t.Fatal(err)
		}
		check(t, b.String(), "UNDECIDED all ports: shop/db")
	})
	t.Run("diff", func(t *testing.T) {
		var b bytes.Buffer
		res := &query.DiffResult{Changed: true, Profile: &p, Summary: query.DiffSummary{Pairs: 1, Undecided: 1},
			Changes: []query.Change{{Source: "pod shop/client", Destination: "pod shop/db", Before: all, After: all, Undecided: &all}}}
		if err := Diff(&b, "", res); err != nil {
			t.Fatal(err)
		}
		check(t, b.String(), "pod shop/client -> pod shop/db\n  ? undecided:   all ports", "1 pair changes: 0 with newly allowed ports, 0 with newly denied ports, 1 with undecided ports.\n")
	})
	t.Run("audit", func(t *testing.T) {
		var b bytes.Buffer
		if err := Audit(&b, "", &query.Audit{Namespaces: []string{"shop"}, Profile: &p}); err != nil {
			t.Fatal(err)
		}
		check(t, b.String(), "No findings in shop.\n")
	})
}
