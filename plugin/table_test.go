package plugin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNoHeadersLeavesOutTheHeaderRow: with --no-headers, the tables of the
// text outputs (and map's CSV) are their rows alone; everything else they
// print stays.
func TestNoHeadersLeavesOutTheHeaderRow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		header string
	}{
		{"map's adjacency table", []string{"map"}, "FROM TO PORTS"},
		{"map's CSV", []string{"map", "-o", "csv"}, "from,to,ports,partial,ambiguous,undecided"},
		{"explain's table of workloads", []string{"explain"}, "WORKLOAD INGRESS REACHED BY EGRESS REACHES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "-f", threeTier)
			with := run(t, "", append(args, "--no-headers")...)
			without := run(t, "", args...)
			if with.code != ExitOK || without.code != ExitOK {
				t.Fatalf("exit %d and %d; stderr %q", with.code, without.code, with.stderr)
			}
			first, rest, _ := strings.Cut(without.stdout, "\n")
			if strings.Join(strings.Fields(first), " ") != tc.header && first != tc.header {
				t.Errorf("header row %q, want %q", first, tc.header)
			}
			if diff := cmp.Diff(rest, with.stdout); diff != "" {
				t.Errorf("--no-headers is not the output without its header row (-want +got):\n%s", diff)
			}
		})
	}
}
