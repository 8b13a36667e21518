package plugin

import (
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestArgumentsAreReadBeforeFlagsAreChecked: every command runs Complete
// (read the arguments), then Validate (check the flags), then Run, so with
// both a bad argument and a bad -o the argument's error is the one told.
func TestArgumentsAreReadBeforeFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"can reads its flow first", []string{"can", "api"}, "error: want a source and a destination"},
		{"explain reads its target first", []string{"explain", "-"}, "error: " + query.ErrShellArrow.Error()},
		{"test reads its expectations first", []string{"test", "no-such-file.yaml"}, "error: read expectations: open no-such-file.yaml: no such file or directory"},
		{"audit reads --severity first", []string{"audit", "--severity", "urgent"}, `error: unknown severity "urgent"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append(tc.args, "-o", "xml", "-f", threeTier)...)
			if r.code != ExitError || !strings.HasPrefix(r.stderr, tc.want) || strings.Contains(r.stderr, "output format") {
				t.Errorf("exit %d, stderr %q; want exit 2 and an error starting %q", r.code, r.stderr, tc.want)
			}
		})
	}
}
