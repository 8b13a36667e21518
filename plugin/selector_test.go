package plugin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// graphEdges decodes the edges of map -o json as "FROM -> TO".
func graphEdges(t *testing.T, stdout string) []string {
	t.Helper()
	var g struct {
		Edges []struct{ From, To string }
	}
	if err := json.Unmarshal([]byte(stdout), &g); err != nil {
		t.Fatalf("map -o json: %v\n%s", err, stdout)
	}
	out := []string{}
	for _, e := range g.Edges {
		out = append(out, e.From+" -> "+e.To)
	}
	return out
}

// TestMapSelectorKeepsTheEdgesOfTheMatchingWorkloads: map -l is the map's
// edges that touch a workload with a matching pod, no more, no fewer.
func TestMapSelectorKeepsTheEdgesOfTheMatchingWorkloads(t *testing.T) {
	for _, tc := range []struct {
		name, selector string
		args           []string
		matching       []string
	}{
		{"every namespace", "role=db", []string{"-A"}, []string{"deployment dev/db", "deployment prod/db", "deployment test/db"}},
		{"the namespace", "role=db", nil, []string{"deployment prod/db"}},
		{"set-based", "role in (web,api)", []string{"-n", "dev"}, []string{"deployment dev/api", "deployment dev/web"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// -l is a focus, which lists every pair: compared with the
			// map that does (--expand).
			args := append([]string{"map", "-f", threeTier, "-o", "json"}, tc.args...)
			all := run(t, "", append(args, "--expand")...)
			if tc.args == nil || tc.args[0] != "-A" {
				all = run(t, "", "map", "-A", "-f", threeTier, "-o", "json", "--expand")
			}
			want := []string{}
			for _, e := range graphEdges(t, all.stdout) {
				from, to, _ := strings.Cut(e, " -> ")
				for _, m := range tc.matching {
					if from == m || to == m {
						want = append(want, e)
						break
					}
				}
			}
			r := run(t, "", append(args, "-l", tc.selector)...)
			if r.code != ExitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if diff := cmp.Diff(want, graphEdges(t, r.stdout)); diff != "" {
				t.Errorf("edges (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExplainAllNamespacesAndSelector: explain -A is the table of every
// workload of every namespace; -l explains each matching workload in full,
// in the namespace or with -A in every one.
func TestExplainAllNamespacesAndSelector(t *testing.T) {
	r := run(t, "", "explain", "-A", "-f", threeTier)
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "explain/all-namespaces.txt", r.stdout)

	r = run(t, "", "explain", "-A", "-l", "role=db", "-f", threeTier)
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "explain/all-namespaces-role-db.txt", r.stdout)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-l", "role=db"}, "deployment prod/db"},
		{[]string{"-l", "role=db", "-n", "dev"}, "deployment dev/db"},
		{[]string{"-A", "-l", "role,role!=db,role!=web"}, "deployment dev/api deployment prod/api deployment test/api"},
	} {
		args := append([]string{"explain", "-f", threeTier, "-o", "jsonpath={.workloads[*].workload}"}, tc.args...)
		r := run(t, "", args...)
		if r.code != ExitOK || r.stdout != tc.want {
			t.Errorf("%s: exit %d, stdout %q; want %q (stderr %q)", strings.Join(tc.args, " "), r.code, r.stdout, tc.want, r.stderr)
		}
	}
}

// TestAuditSelector: audit -l checks what concerns the matching workloads
// (query pins which findings) and says so.
func TestAuditSelector(t *testing.T) {
	r := run(t, "", "audit", "-A", "-l", "app=postgres", "-f", "../testdata/audit/shop.yaml", "-o", "jsonpath={.selector}: {.findings[*].check}")
	want := "app=postgres: database-open-to-all no-default-deny-ingress no-default-deny-egress"
	if r.code != ExitNo || r.stdout != want {
		t.Errorf("exit %d, stdout %q; want exit 1, %q (stderr %q)", r.code, r.stdout, want, r.stderr)
	}
	r = run(t, "", "audit", "-l", "role=db", "-f", threeTier)
	want = "No findings in prod for the workloads matching role=db.\n"
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("exit %d, stdout %q; want exit 0, %q...", r.code, r.stdout, want)
	}
}

// TestSelectorErrors: a selector that does not parse, or that matches no
// pod, is an error (exit 2): a mistyped label must not pass a gate as "no
// findings"; and -l or -A with a TARGET says what explain takes.
func TestSelectorErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"map", "-l", "role in (db"}, "-l role in (db: unable to parse requirement: found '', expected: ',' or ')'"},
		{[]string{"map", "-l", "role=nothing"}, "no pod in namespace prod matches -l role=nothing"},
		{[]string{"map", "-A", "-l", "role=nothing"}, "no pod in any namespace matches -l role=nothing"},
		{[]string{"map", "-l", "role=db", "--focus", "prod/api"}, "no pod of --focus prod/api matches -l role=db"},
		{[]string{"audit", "-l", "role=nothing"}, "no pod in namespace prod matches -l role=nothing"},
		{[]string{"explain", "-l", "role=nothing", "-n", "dev"}, "no pod in namespace dev matches -l role=nothing"},
		{[]string{"explain", "db", "-l", "role=db"}, "give a TARGET or -l SELECTOR, not both (a TARGET may be a selector: explain 'app=db')"},
		{[]string{"explain", "db", "-A"}, "-A explains the workloads of every namespace: give it without a TARGET (or -l SELECTOR to choose them)"},
	} {
		r := run(t, "", append(tc.args, "-f", threeTier)...)
		want := "error: " + tc.want + "\n"
		if r.code != ExitError || r.stderr != want {
			t.Errorf("%s: exit %d, stderr %q; want exit 2, %q", strings.Join(tc.args, " "), r.code, r.stderr, want)
		}
	}
}
