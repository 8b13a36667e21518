package plugin

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestReadmeNamesTheGoVersionOfGoMod: every "Go 1.x" the README asks for is
// the go line of go.mod, the oldest Go that builds the module.
func TestReadmeNamesTheGoVersionOfGoMod(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	want := "Go " + string(m[1])
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`\bGo 1\.[0-9.]*[0-9]`).FindAllString(string(readme), -1)
	if len(found) == 0 {
		t.Fatal("the README names no Go version")
	}
	for _, got := range found {
		if got != want {
			t.Errorf("README asks for %s, go.mod for %s:\n%s", got, want, strings.Join(found, ", "))
			break
		}
	}
}

// TestReadmeListsEveryAuditCheck: the table of checks in the README's audit
// section is the engine's table, row for row: ID, severity, description.
func TestReadmeListsEveryAuditCheck(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### `audit`")
	if !ok {
		t.Fatal("the README has no audit section")
	}
	if end := regexp.MustCompile(`\n##`).FindStringIndex(section); end != nil {
		section = section[:end[0]]
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| ([a-z]+) \\| (.+) \\|$")
	got := []query.AuditCheck{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		got = append(got, query.AuditCheck{ID: m[1], Severity: query.Severity(m[2]), Description: m[3]})
	}
	if diff := cmp.Diff(query.AuditChecks(), got); diff != "" {
		t.Errorf("README audit checks (-want +got):\n%s", diff)
	}
}
