package output

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/internal/ptytest"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestAuditColumnsAlignInColour: on a terminal the severity is coloured,
// and the object column still starts at the same place on every line.
func TestAuditColumnsAlignInColour(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	a := &query.Audit{Findings: []query.Finding{
		{Severity: query.High, Check: "h", Object: "namespace a", Why: "w"},
		{Severity: query.Medium, Check: "m", Object: "namespace b", Why: "w"},
		{Severity: query.Low, Check: "l", Object: "namespace c", Why: "w"},
	}}
	got := ptytest.Output(t, 80, func(term *os.File) {
		if err := Audit(term, "", a); err != nil {
			t.Error(err)
		}
	})
	if !strings.Contains(got, "\x1b[31mHIGH\x1b[0m") {
		t.Fatalf("no colour on a terminal:\n%q", got)
	}
	visible := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(got, "")
	var heads []string
	for _, line := range strings.Split(visible, "\n") {
		if strings.Contains(line, "namespace") {
			heads = append(heads, line)
		}
	}
	want := []string{
		"HIGH    namespace a  [h]",
		"MEDIUM  namespace b  [m]",
		"LOW     namespace c  [l]",
	}
	if diff := cmp.Diff(want, heads); diff != "" {
		t.Errorf("finding lines as seen on the terminal (-want +got):\n%s", diff)
	}
}
