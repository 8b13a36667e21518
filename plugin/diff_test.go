package plugin

import (
	"strings"
	"testing"
)

const whatIf = "../testdata/whatif/"

// TestDiffScenarios pins the what-if scenarios of the bundled examples,
// as text and JSON golden files, with their exit codes.
func TestDiffScenarios(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"a-default-deny-dev", []string{"-f", threeTier, "--with", whatIf + "deny-all-dev.yaml"}, 1},
		{"b-tighten-db", []string{"-f", whatIf + "shop/", "-f", whatIf + "db-loose.yaml", "--with", whatIf + "db-tight.yaml"}, 1},
		{"c-relabel-namespace", []string{"-f", whatIf + "shop/", "-f", whatIf + "db-tight.yaml", "--with", whatIf + "test-relabelled.yaml"}, 1},
		{"d-delete-policy", []string{"-f", threeTier, "--without", "networkpolicy/prod/db"}, 1},
		{"e-no-change", []string{"-f", threeTier, "--with", whatIf + "no-change.yaml"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := run(t, "", append([]string{"diff"}, tc.args...)...)
			if text.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", text.code, tc.wantCode, text.stdout, text.stderr)
			}
			golden(t, "diff/"+tc.name+".txt", text.stdout)
			js := run(t, "", append([]string{"diff", "-o", "json"}, tc.args...)...)
			if js.code != tc.wantCode {
				t.Fatalf("-o json exit %d, want %d", js.code, tc.wantCode)
			}
			golden(t, "diff/"+tc.name+".json", js.stdout)
			md := run(t, "", append([]string{"diff", "-o", "markdown"}, tc.args...)...)
			if md.code != tc.wantCode {
				t.Fatalf("-o markdown exit %d, want %d", md.code, tc.wantCode)
			}
			golden(t, "diff/"+tc.name+".md", md.stdout)
		})
	}
}

func TestDiffTightenedDatabasePolicy(t *testing.T) {
	r := run(t, "", "diff", "-f", whatIf+"shop/", "-f", whatIf+"db-loose.yaml", "--with", whatIf+"db-tight.yaml")
	for _, want := range []string{"deployment dev/api -> statefulset prod/db\n  - now denied:  TCP 3306", "deployment test/api -> statefulset prod/db\n  - now denied:  TCP 3306"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "prod/api ->") {
		t.Errorf("prod/api keeps its access and must not be listed:\n%s", r.stdout)
	}
}

func TestWhatIfOnCanAndExplain(t *testing.T) {
	// can answers as if the overlay were applied.
	if r := run(t, "", "can", "-q", "-f", threeTier, "dev/web", "dev/api:5000"); r.code != 0 {
		t.Errorf("without overlay: exit %d", r.code)
	}
	if r := run(t, "", "can", "-q", "-f", threeTier, "--with", whatIf+"deny-all-dev.yaml", "dev/web", "dev/api:5000"); r.code != 1 {
		t.Errorf("with default deny in dev: exit %d, want 1", r.code)
	}
	if r := run(t, "", "can", "-q", "-f", threeTier, "--without", "networkpolicy/prod/db", "api", "db:3306"); r.code != 1 {
		t.Errorf("without the db policy (default deny remains): exit %d, want 1", r.code)
	}
	r := run(t, "", "explain", "-f", threeTier, "--with", whatIf+"deny-all-dev.yaml", "-n", "dev", "web")
	if r.code != 0 || !strings.Contains(r.stdout, "INGRESS  isolated by dev/default-deny") {
		t.Errorf("explain with overlay: exit %d\n%s", r.code, r.stdout)
	}
}

func TestDiffBadInput(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-f", threeTier}, "diff needs --with FILE or --without"},
		{[]string{"-f", threeTier, "--with", "../testdata/bad/invalid-cidr.yaml"}, `--with: ../testdata/bad/invalid-cidr.yaml: networkpolicy prod/backup: spec.egress[0].to[0].ipBlock.cidr: invalid CIDR`},
		{[]string{"-f", threeTier, "--with", "../testdata/bad/malformed.yaml"}, "malformed.yaml"},
		{[]string{"-f", threeTier, "--without", "networkpolicy/prod/nope"}, "--without networkpolicy/prod/nope: no such object"},
		{[]string{"-f", threeTier, "--without", "widget/prod/x"}, `unknown kind "widget"`},
		{[]string{"-f", threeTier, "--without", "networkpolicy/db"}, "want KIND/NAMESPACE/NAME"},
	} {
		r := run(t, "", append([]string{"diff"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.wantErr) {
			t.Errorf("diff %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.wantErr)
		}
	}
}

func TestStdinFeedsOneSource(t *testing.T) {
	r := run(t, "", "diff", "-f", "-", "--with", "-")
	if r.code != 2 || !strings.Contains(r.stderr, "standard input can feed -f - or --with -, not both") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
