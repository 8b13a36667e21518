package output

import (
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestMarkdownEscaping: what a name, a field path or a reason holds cannot
// break a table, open emphasis, a link, a mention of an issue or an HTML
// tag, or end a code block early.
func TestMarkdownEscaping(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		f              func(string) string
	}{
		{"a pipe does not end a cell", "a|b", `a\|b`, mdText},
		{"a pipe in a code span does not end a cell either", "pods prod/{a|b}", "`pods prod/{a\\|b}`", mdCode},
		{"a backtick does not end a code span", "x`y", "`x'y`", mdCode},
		{"nothing is no code span", "", "", mdCode},
		{"emphasis stays literal", "*all* ports _now_", `\*all\* ports \_now\_`, mdText},
		{"an HTML tag stays literal", "<none> & more", "&lt;none> &amp; more", mdText},
		{"an issue reference stays literal", "see #12", `see \#12`, mdText},
		{"a link stays literal, field paths keep their brackets", "[x](http://e) spec.ingress[0]", `[x]\(http://e) spec.ingress[0]`, mdText},
		{"a line break stays in the row", "one\ntwo\n", "one<br>two", mdText},
		{"a backslash is literal", `a\b`, `a\\b`, mdText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(tc.in); got != tc.want {
				t.Errorf("%q -> %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestMarkdownDetails: the summary cannot open a tag, and a body holding a
// fence gets a longer one.
func TestMarkdownDetails(t *testing.T) {
	var b strings.Builder
	mdDetails(&b, "why: <a> -> b", "```\ncode\n```")
	want := "\n<details><summary>why: &lt;a> -> b</summary>\n\n````\n```\ncode\n```\n````\n</details>\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

// TestMarkdownTablesAreCapped: past mdLimit rows, a table says how many it
// left out and where they are, and so does the list of what holds.
func TestMarkdownTablesAreCapped(t *testing.T) {
	a := &query.Audit{Namespaces: []string{"prod"}}
	for range mdLimit + 3 {
		a.Findings = append(a.Findings, query.Finding{Severity: query.Low, Check: "c", Object: "namespace prod", Why: "w"})
	}
	var b strings.Builder
	if err := Audit(&b, "markdown", a); err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(b.String(), "\n| low |"); rows != mdLimit {
		t.Errorf("%d rows, want %d", rows, mdLimit)
	}
	if !strings.Contains(b.String(), "\nand 3 more (see `-o json`)\n") {
		t.Errorf("no pointer to the rest:\n%s", b.String())
	}

	var cases []TestCase
	for range mdLimit + 2 {
		cases = append(cases, TestCase{From: "a", To: "b", Expect: "allow", Pass: true, Answer: &query.Answer{Allowed: true}})
	}
	b.Reset()
	if err := Tests(&b, "markdown", "e.yaml", cases); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "a -> b (allow)\n"); n != mdLimit || !strings.Contains(b.String(), "and 2 more (see -o json)") {
		t.Errorf("%d expectations listed, want %d and the rest counted:\n%s", n, mdLimit, b.String())
	}
}
