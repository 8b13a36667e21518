package plugin

import (
	"encoding/json"
	"strings"
	"testing"
)

// tiers are the example's cluster-wide guardrails (testdata/tiers/): an
// Admin-tier Deny and Pass protecting prod/db, an Admin-tier Accept for
// DNS, and a Baseline tier keeping dev and test apart.
const tiers = "../testdata/tiers/"

// TestCanTiers pins golden traces through every tier: Admin Deny over a
// NetworkPolicy, Pass to NetworkPolicy, Admin Accept, Baseline Accept and
// Deny, and the default.
func TestCanTiers(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
	}{
		{[]string{"dev/api", "prod/db:3306"}, 1},               // Admin Deny
		{[]string{"api", "db:3306"}, 0},                        // Admin Pass, then NetworkPolicy allows
		{[]string{"web", "db:3306"}, 1},                        // Admin Pass, then NetworkPolicy denies
		{[]string{"dev/api", "kube-system/coredns:53/udp"}, 0}, // Admin Accept
		{[]string{"test/web", "dev/api:5000"}, 0},              // Baseline Accept
		{[]string{"prod/api", "dev/api:5000"}, 1},              // NetworkPolicy egress denies
		{[]string{"kube-system/coredns", "dev/api:5000"}, 1},   // Baseline Deny
		{[]string{"dev/web", "dev/api"}, 0},                    // port sets across tiers
	}
	for _, tc := range tests {
		name := goldenName(tc.args...)
		t.Run(name, func(t *testing.T) {
			text := run(t, "", append([]string{"can", "-f", threeTier, "-f", tiers}, tc.args...)...)
			if text.code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", text.code, tc.wantCode, text.stdout, text.stderr)
			}
			golden(t, "tiers/can_"+name+".txt", text.stdout)
			js := run(t, "", append([]string{"can", "-f", threeTier, "-f", tiers, "-o", "json"}, tc.args...)...)
			if js.code != tc.wantCode {
				t.Fatalf("-o json exit code = %d, want %d", js.code, tc.wantCode)
			}
			golden(t, "tiers/can_"+name+".json", js.stdout)
		})
	}
}

// TestCanTiersDecidedBy checks the machine-readable trace: which tier
// decided, and the rule's name, action and priority.
func TestCanTiersDecidedBy(t *testing.T) {
	js := run(t, "", "can", "-f", threeTier, "-f", tiers, "-o", "json", "api", "db:3306")
	var ans struct {
		Pairs []struct {
			Ingress struct {
				DecidedBy string `json:"decidedBy"`
				Tiers     []struct {
					Tier     string `json:"tier"`
					Policy   string `json:"policy"`
					Priority int    `json:"priority"`
					RuleName string `json:"ruleName"`
					Action   string `json:"action"`
				} `json:"tiers"`
				Rules []struct {
					Policy string `json:"policy"`
				} `json:"rules"`
			} `json:"ingress"`
		} `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &ans); err != nil || len(ans.Pairs) != 1 {
		t.Fatalf("bad answer (%v):\n%s", err, js.stdout)
	}
	in := ans.Pairs[0].Ingress
	if in.DecidedBy != "NetworkPolicy" || len(in.Tiers) != 1 || in.Tiers[0].Action != "Pass" || in.Tiers[0].RuleName != "prod-decides" ||
		in.Tiers[0].Priority != 10 || in.Tiers[0].Tier != "Admin" || len(in.Rules) != 1 || in.Rules[0].Policy != "prod/db" {
		t.Errorf("ingress trace = %+v; want the Admin Pass rule prod-decides (priority 10), then NetworkPolicy prod/db deciding", in)
	}
}

func TestCanTiersAmbiguous(t *testing.T) {
	r := run(t, "", "can", "-f", threeTier, "-f", tiers, "--with", whatIf+"cnp-same-priority.yaml", "dev/api", "prod/db:3306")
	if r.code != 2 || !strings.HasPrefix(r.stdout, "AMBIGUOUS") || !strings.Contains(r.stderr, "ambiguous") || !strings.Contains(r.stderr, "dev-reads-prod-db") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 2, an AMBIGUOUS verdict and both policies named", r.code, r.stdout, r.stderr)
	}
	r = run(t, "", "test", tiers+"expectations.yaml", "-f", threeTier, "-f", tiers, "--with", whatIf+"cnp-same-priority.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "expectations.yaml:3: expectation 1 (nothing outside prod reaches the production database): the verdict is ambiguous") {
		t.Errorf("test with an ambiguous expectation: exit %d, stderr %s; want exit 2 naming it", r.code, r.stderr)
	}
	// Another port of the same pair is not ambiguous: only protect-prod-db
	// judges it.
	r = run(t, "", "can", "-f", threeTier, "-f", tiers, "--with", whatIf+"cnp-same-priority.yaml", "dev/api", "prod/db:80")
	if r.code != 1 {
		t.Errorf("port 80: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAmbiguityInEveryCommand pins that map, explain and diff mark the
// flow "can" answers AMBIGUOUS on, and warn once, instead of drawing the
// name-order verdict as certain.
func TestAmbiguityInEveryCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		line string // the marked line of stdout
	}{
		{[]string{"map", "-A"}, "deployment dev/api              deployment prod/db              TCP 3306; AMBIGUOUS TCP 3306"},
		{[]string{"map", "-A", "--port", "3306"}, "AMBIGUOUS TCP 3306"},
		{[]string{"explain", "prod/db"}, "deployment dev/api   TCP 3306; AMBIGUOUS TCP 3306"},
		{[]string{"diff"}, "ambiguous:   TCP 3306"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append(tc.args, "-f", threeTier, "-f", tiers, "--with", whatIf+"cnp-same-priority.yaml")
			r := run(t, "", args...)
			if !strings.Contains(r.stdout, tc.line) {
				t.Errorf("stdout does not mark the flow (%q):\n%s", tc.line, r.stdout)
			}
			if n := strings.Count(r.stderr, "marked ambiguous"); n != 1 {
				t.Errorf("stderr warns %d times about ambiguity, want once:\n%s", n, r.stderr)
			}
		})
	}
	r := run(t, "", "map", "-A", "-o", "json", "-f", threeTier, "-f", tiers, "--with", whatIf+"cnp-same-priority.yaml")
	if !strings.Contains(r.stdout, `"from":"deployment dev/api","to":"deployment prod/db","ports":[{"protocol":"TCP","ranges":[{"from":3306,"to":3306}]}],"ambiguous":[{"protocol":"TCP","ranges":[{"from":3306,"to":3306}]}]`) {
		t.Errorf("map -o json does not carry the ambiguous ports:\n%s", r.stdout)
	}
}

// TestTiersEveryCommand pins explain, map, diff, test and audit with the
// cluster policies.
func TestTiersEveryCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"explain_prod-db", []string{"explain", "prod/db"}, 0},
		{"explain_dev", []string{"explain", "-n", "dev"}, 0},
		{"map_all", []string{"map", "-A"}, 0},
		{"diff_add-guardrails", []string{"diff", "-f", threeTier, "--with", tiers + "cluster-policies.yaml"}, 1},
		{"diff_drop-baseline", []string{"diff", "-f", threeTier, "-f", tiers, "--without", "cnp/environments-apart"}, 1},
		{"audit_all", []string{"audit", "-A"}, 1},
		{"audit_same-priority", []string{"audit", "-n", "prod", "--with", whatIf + "cnp-same-priority.yaml"}, 1},
		{"test", []string{"test", tiers + "expectations.yaml"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{}, tc.args...)
			if !strings.HasPrefix(tc.name, "diff_") {
				args = append(args, "-f", threeTier, "-f", tiers)
			}
			r := run(t, "", args...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			golden(t, "tiers/"+tc.name+".txt", r.stdout)
		})
	}
}
