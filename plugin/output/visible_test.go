package output

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func TestVisible(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is unchanged", "deployment prod/db: TCP 3306\n", "deployment prod/db: TCP 3306\n"},
		{"escape sequences are shown, not run", "pod \x1b[2J\x1b]0;pwned\x07", `pod \x1b[2J\x1b]0;pwned\a`},
		{"a carriage return cannot overwrite the line", "DENIED\rALLOWED", `DENIED\rALLOWED`},
		{"tabs and deletes are shown", "a\tb\x7f", `a\tb\x7f`},
		{"newlines are kept", "a\nb\n", "a\nb\n"},
		{"printable non-ASCII is kept", "✓ café", "✓ café"},
		{"a right-to-left override is shown", "db\u202egnp.exe", `db\u202egnp.exe`},
		{"a no-break space is shown", "a\u00a0b", `a\u00a0b`},
		{"C1 controls are shown", "a\u009bb", `a\u009bb`},
		{"an invalid byte is shown", "a\xffb", `a\xffb`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Visible(tc.in); got != tc.want {
				t.Errorf("Visible(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCellsEscapeNewlines(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"a table cell is one line", cell("a\nb"), `a\nb`},
		{"a CSV cell is one line", csvCell("a\nb"), `a\nb`},
		{"a CSV cell cannot start a formula with =", csvCell("=HYPERLINK(\"http://x\")"), `'=HYPERLINK("http://x")`},
		{"a CSV cell cannot start a formula with +", csvCell("+1"), "'+1"},
		{"a CSV cell cannot start a formula with -", csvCell("-1+2"), "'-1+2"},
		{"a CSV cell cannot start a formula with @", csvCell("@SUM(A1)"), "'@SUM(A1)"},
		{"a CSV cell with = inside is unchanged", csvCell("pods prod/{app=db}"), "pods prod/{app=db}"},
		{"a Mermaid label has no markup", mermaidLabel(`<img src=x onerror="alert(1)">`), `#lt;img src=x onerror=#quot;alert(1)#quot;#gt;`},
		{"a Mermaid label keeps entity codes as text", mermaidLabel("a#lt;b & `c`"), "a#35;lt;b #amp; #96;c#96;"},
		{"a Mermaid label is one line", mermaidLabel("a\nb"), `a\nb`},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestColourTerminalKeepsOnlyColour(t *testing.T) {
	var p painter = true
	for _, tc := range []struct{ name, in, want string }{
		{"the painter's colours are kept", p.red("DENIED") + " " + p.bold(p.green("ALLOWED")), "\x1b[31mDENIED\x1b[0m \x1b[1m\x1b[32mALLOWED\x1b[0m\x1b[0m"},
		{"combined colour parameters are kept", "\x1b[1;31mX\x1b[m", "\x1b[1;31mX\x1b[m"},
		{"clearing the screen is shown", "\x1b[2J", `\x1b[2J`},
		{"moving the cursor is shown", "\x1b[1A\x1b[K", `\x1b[1A\x1b[K`},
		{"concealed text is shown", "\x1b[8mhidden", `\x1b[8mhidden`},
		{"a background colour is shown", "\x1b[30;40mhidden", `\x1b[30;40mhidden`},
		{"setting the title is shown", "\x1b]0;x\x07", `\x1b]0;x\a`},
	} {
		var b strings.Builder
		if err := p.writeText(&b, tc.in); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, b.String(), tc.want)
		}
	}
}

// TestTextRenderersEscapeNames renders a name that clears the terminal
// with every text renderer.
func TestTextRenderersEscapeNames(t *testing.T) {
	const evil = "x\x1b[2J\x1b[H"
	const shown = `x\x1b[2J\x1b[H`
	tcp80 := query.SinglePort(corev1.ProtocolTCP, 80)
	pod := &query.Endpoint{Kind: "Pod", Namespace: "prod", Name: evil}
	ans := &query.Answer{Source: pod, Destination: pod, Port: "80", Protocol: corev1.ProtocolTCP,
		Pairs: []query.PairVerdict{{Sources: []string{"prod/" + evil}, Destinations: []string{"prod/" + evil}, Notes: []string{evil}}}}
	graph := &query.Graph{Nodes: []query.Node{workload("Pod", "prod", evil, 1, false, false)},
		Edges: []query.Edge{{From: "pod prod/" + evil, To: "pod prod/" + evil, Ports: &tcp80}}}
	render := map[string]func(*strings.Builder) error{
		"can": func(b *strings.Builder) error { return Can(b, "", ans) },
		"explain": func(b *strings.Builder) error {
			return Explain(b, "", &query.Explanation{Namespace: "prod", Workloads: []*query.UnitExplanation{{Workload: "pod prod/" + evil}}}, Table{})
		},
		"explain target": func(b *strings.Builder) error {
			return Explain(b, "", &query.Explanation{Target: pod, Workloads: []*query.UnitExplanation{{Workload: "pod prod/" + evil, Labels: map[string]string{"app": evil}}}}, Table{})
		},
		"diff": func(b *strings.Builder) error {
			return Diff(b, "", &query.DiffResult{Changed: true, Changes: []query.Change{{Source: evil, Destination: evil, NowAllowed: tcp80, AllowedBy: []string{evil}}}})
		},
		"audit": func(b *strings.Builder) error {
			return Audit(b, "", &query.Audit{Findings: []query.Finding{{Severity: query.High, Check: "c", Object: "pod prod/" + evil, Why: evil, Fix: evil}}})
		},
		"test": func(b *strings.Builder) error {
			return Tests(b, "", "suite", []TestCase{{Name: evil, From: evil, To: evil, Expect: "allow", Answer: ans}})
		},
		"map":         func(b *strings.Builder) error { return Graph(b, "", graph, Table{}) },
		"map csv":     func(b *strings.Builder) error { return Graph(b, "csv", graph, Table{}) },
		"map mermaid": func(b *strings.Builder) error { return Graph(b, "mermaid", graph, Table{}) },
	}
	for name, r := range render {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if err := r(&b); err != nil {
				t.Fatal(err)
			}
			if strings.ContainsRune(b.String(), '\x1b') || !strings.Contains(b.String(), shown) {
				t.Errorf("want the name shown as %s, got:\n%q", shown, b.String())
			}
		})
	}
}

func TestGraphFormatsQuoteWhatWouldRunAsMarkup(t *testing.T) {
	const name = `<img src=x onerror=alert(1)>`
	tcp80 := query.SinglePort(corev1.ProtocolTCP, 80)
	g := &query.Graph{Nodes: []query.Node{workload("Pod", "prod", name, 1, false, false), external("=1+1")},
		Edges: []query.Edge{{From: "pod prod/" + name, To: "=1+1", Ports: &tcp80}}}
	for _, tc := range []struct{ format, want, notWant string }{
		{"mermaid", `n1["#lt;img src=x onerror=alert(1)#gt; · Pod · 1 pod"]`, "<"},
		{"csv", "pod prod/<img src=x onerror=alert(1)>,'=1+1,TCP 80,false,,\n", ",=1+1"},
	} {
		var b strings.Builder
		if err := Graph(&b, tc.format, g, Table{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) || strings.Contains(b.String(), tc.notWant) {
			t.Errorf("-o %s: want %q and no %q, got:\n%s", tc.format, tc.want, tc.notWant, b.String())
		}
	}
}
