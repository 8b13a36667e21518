package plugin

import (
	"os"
	"regexp"
	"strings"
	"testing"
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
