package query_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// profileTable reads the table of section "CNI profiles" of the
// specification: for each profile (a column), the value of each behaviour
// (a row, named in backquotes).
func profileTable(t *testing.T) map[string]map[query.Behaviour]query.Switch {
	t.Helper()
	b, err := os.ReadFile(semanticsDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), ". CNI profiles\n")
	if !ok {
		t.Fatalf("%s: no section \"CNI profiles\"", semanticsDoc)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var columns []string
	out := map[string]map[query.Behaviour]query.Switch{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "behaviour" {
			columns = cells[1:]
			for _, c := range columns {
				out[c] = map[query.Behaviour]query.Switch{}
			}
			continue
		}
		if len(cells) != len(columns)+1 {
			t.Fatalf("%s: row %q has %d cells, the header %d", semanticsDoc, line, len(cells), len(columns)+1)
		}
		behaviour := query.Behaviour(strings.Trim(cells[0], "`"))
		for i, c := range columns {
			out[c][behaviour] = query.Switch(cells[i+1])
		}
	}
	return out
}

// TestProfileTable keeps the table of docs/semantics.md ("CNI profiles")
// and the profiles of the engine the same, value by value: each profile
// has a column, each behaviour a row.
func TestProfileTable(t *testing.T) {
	table := profileTable(t)
	names := []string{"spec", "none", "cilium", "calico", "antrea", "ovn-kubernetes", "kube-router", "aws-vpc-cni", "kube-network-policies"}
	want := slices.Clone(names)
	slices.Sort(want)
	if diff := cmp.Diff(want, query.ProfileNames()); diff != "" {
		t.Fatalf("profiles of the engine (-this test +engine): add the new profile here and in the table:\n%s", diff)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			doc, ok := table[name]
			if !ok {
				t.Fatalf("%s: no column %q in the table of CNI profiles", semanticsDoc, name)
			}
			p, err := query.ProfileNamed(name)
			if err != nil {
				t.Fatal(err)
			}
			got := map[query.Behaviour]query.Switch{}
			for _, b := range query.Behaviours {
				got[b] = p.Get(b)
			}
			if diff := cmp.Diff(doc, got); diff != "" {
				t.Errorf("profile %s: %s (-doc +engine):\n%s", name, semanticsDoc, diff)
			}
		})
	}
	t.Run("the spec is the default", func(t *testing.T) {
		if query.SpecProfile().Name != "spec" {
			t.Errorf("SpecProfile is %q", query.SpecProfile().Name)
		}
	})
}
