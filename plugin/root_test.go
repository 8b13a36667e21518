package plugin

import (
	"strings"
	"testing"
)

// TestQuietOnEveryCommand: -q prints nothing on stdout or stderr and the
// exit code still answers; errors are still told.
func TestQuietOnEveryCommand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"can", []string{"can", "web", "db:3306"}, 1},
		{"explain", []string{"explain", "db"}, 0},
		{"explain a namespace", []string{"explain", "-n", "dev"}, 0},
		{"map", []string{"map", "-A"}, 0},
		{"map as html", []string{"map", "-o", "html"}, 0},
		{"diff", []string{"diff", "--without", "networkpolicy/prod/db"}, 1},
		{"test", []string{"test", threeTier + "expectations.yaml"}, 0},
		{"audit", []string{"audit", "-A"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, q := range []string{"-q", "--quiet"} {
				r := run(t, "", append(tc.args, "-f", threeTier, q)...)
				if r.code != tc.wantCode || r.stdout != "" || r.stderr != "" {
					t.Errorf("%v %s: exit %d, stdout %q, stderr %q; want exit %d and nothing printed", tc.args, q, r.code, r.stdout, r.stderr, tc.wantCode)
				}
			}
		})
	}
	for _, args := range [][]string{{"map", "-n", "nowhere"}, {"explain", "cache"}} {
		r := run(t, "", append(args, "-f", threeTier, "-q")...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("%v -q: exit %d, stderr %q; want 2 and the error", args, r.code, r.stderr)
		}
	}
}
