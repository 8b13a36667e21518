package query_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// semanticsDoc is the engine's specification, kept in the repository.
const semanticsDoc = "../docs/semantics.md"

// docRule is one rule of the specification: its id, where it starts and
// the tests it names.
type docRule struct {
	id    string
	line  int
	tests []string
}

var (
	// ruleStart is the first line of a rule: "- **NP-SEL-1** text".
	ruleStart = regexp.MustCompile(`^- \*\*([A-Z]+(?:-[A-Z]+)*-[0-9]+)\*\*`)
	// backticked finds the names listed on a "Tests:" line.
	backticked = regexp.MustCompile("`([^`]*)`")
	// citedTest is a test as "go test -run" spells it: the function, then
	// optionally a subtest name with spaces written as underscores.
	citedTest = regexp.MustCompile(`^(Test[A-Za-z0-9_]*)(?:/(.+))?$`)
)

// parseRules reads the rules of the specification: a rule runs from its
// "- **ID**" line over the lines indented by two spaces after it, and its
// tests are those of its "Tests:" line.
func parseRules(t *testing.T, text string) []docRule {
	t.Helper()
	var rules []docRule
	var cur *docRule
	for i, line := range strings.Split(text, "\n") {
		if m := ruleStart.FindStringSubmatch(line); m != nil {
			rules = append(rules, docRule{id: m[1], line: i + 1})
			cur = &rules[len(rules)-1]
			continue
		}
		if cur == nil || !strings.HasPrefix(line, "  ") {
			cur = nil
			continue
		}
		if rest, ok := strings.CutPrefix(line, "  Tests:"); ok {
			for _, m := range backticked.FindAllStringSubmatch(rest, -1) {
				cur.tests = append(cur.tests, m[1])
			}
		}
	}
	return rules
}

// testSources maps each Go test function of the repository (packages and
// the separate modules under test/) to the contents of the files that
// declare it.
func testSources(t *testing.T) map[string][]string {
	t.Helper()
	funcs := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(`)
	out := map[string][]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range funcs.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = append(out[m[1]], string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// subtestLiteral matches the name of a subtest, as go test spells it, as a
// Go string literal: each underscore may have been a space.
func subtestLiteral(name string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`"`)
	for _, r := range name {
		if r == '_' {
			b.WriteString(`[ _]`)
			continue
		}
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	b.WriteString(`"`)
	return regexp.MustCompile(b.String())
}

// TestSemanticsDocNamesRealTests keeps docs/semantics.md honest: every rule
// has a unique id and names at least one test, and every test it names
// exists: the function in some _test.go file of the repository and, for a
// subtest, its name as a string in that file.
func TestSemanticsDocNamesRealTests(t *testing.T) {
	b, err := os.ReadFile(semanticsDoc)
	if err != nil {
		t.Fatal(err)
	}
	rules := parseRules(t, string(b))
	if len(rules) < 100 {
		t.Fatalf("%s: %d rules found; the format of rules (\"- **ID** text\" and an indented \"Tests:\" line) must have changed", semanticsDoc, len(rules))
	}
	sources := testSources(t)
	seen := map[string]int{}
	for _, r := range rules {
		if first, dup := seen[r.id]; dup {
			t.Errorf("%s:%d: rule %s is also defined on line %d", semanticsDoc, r.line, r.id, first)
		}
		seen[r.id] = r.line
		if len(r.tests) == 0 {
			t.Errorf("%s:%d: rule %s names no test (want an indented \"Tests:\" line with `TestName` or `TestName/subtest`)", semanticsDoc, r.line, r.id)
		}
		for _, name := range r.tests {
			m := citedTest.FindStringSubmatch(name)
			if m == nil {
				t.Errorf("%s:%d: rule %s: %q is not a test name", semanticsDoc, r.line, r.id, name)
				continue
			}
			files, ok := sources[m[1]]
			if !ok {
				t.Errorf("%s:%d: rule %s: no func %s in any _test.go file", semanticsDoc, r.line, r.id, m[1])
				continue
			}
			if m[2] == "" {
				continue
			}
			lit := subtestLiteral(m[2])
			found := false
			for _, f := range files {
				found = found || lit.MatchString(f)
			}
			if !found {
				t.Errorf("%s:%d: rule %s: no subtest %q in the file of %s", semanticsDoc, r.line, r.id, m[2], m[1])
			}
		}
	}
}

// TestSemanticsDocParsing pins the parser the check above relies on, so
// that a rule it cannot see is not a rule it silently passes.
func TestSemanticsDocParsing(t *testing.T) {
	doc := strings.Join([]string{
		"## 1. Something",
		"- **NP-SEL-1** A rule",
		"  over two lines.",
		"  Tests: `TestSemantics/a_b`, `TestTiers`",
		"- **CNP-PEER-12** A rule without tests.",
		"",
		"  Tests: `TestOrphan` (after a blank line: not the rule's)",
		"- **X-1** A rule whose tests come after its text.",
		"  Tests: `TestX`",
	}, "\n")
	rules := parseRules(t, doc)
	got := map[string][]string{}
	for _, r := range rules {
		got[r.id] = r.tests
	}
	want := map[string][]string{"NP-SEL-1": {"TestSemantics/a_b", "TestTiers"}, "CNP-PEER-12": nil, "X-1": {"TestX"}}
	if len(got) != len(want) {
		t.Fatalf("rules = %v, want %v", got, want)
	}
	for id, tests := range want {
		if strings.Join(got[id], ",") != strings.Join(tests, ",") {
			t.Errorf("rule %s tests = %q, want %q", id, got[id], tests)
		}
	}
	for _, tc := range []struct {
		name, source string
		want         bool
	}{
		{"a_pod_may_always_talk_to_itself", `{name: "a pod may always talk to itself",`, true},
		{"explain_prod-db", `{"explain_prod-db", []string{"explain", "prod/db"}, 0},`, true},
		{"namespaceSelector_{}_is_every_pod", `name: "namespaceSelector {} is every pod",`, true},
		{"a_pod_may_always", `{name: "a pod may always talk to itself",`, false},
		{"a.b", `"axb"`, false},
	} {
		if got := subtestLiteral(tc.name).MatchString(tc.source); got != tc.want {
			t.Errorf("subtest %q in %s: %v, want %v", tc.name, tc.source, got, tc.want)
		}
	}
}
