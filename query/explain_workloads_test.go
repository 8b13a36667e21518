package query_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"
)

// TestExplainWorkloads: explain without a target covers one namespace,
// every namespace (nil), and with a selector only the workloads with a
// matching pod.
func TestExplainWorkloads(t *testing.T) {
	s := loadSnapshot(t, threeTier)
	for _, tc := range []struct {
		name         string
		namespaces   []string
		selector     string
		want         []string
		namespace    string
		wantSelector string
	}{
		{"one namespace", []string{"prod"}, "", []string{"deployment prod/api", "deployment prod/db", "deployment prod/web"}, "prod", ""},
		{"every namespace", nil, "", []string{
			"deployment dev/api", "deployment dev/db", "deployment dev/web", "deployment kube-system/coredns",
			"deployment prod/api", "deployment prod/db", "deployment prod/web",
			"deployment test/api", "deployment test/db", "deployment test/web"}, "", ""},
		{"a selector in every namespace", nil, "role=db", []string{"deployment dev/db", "deployment prod/db", "deployment test/db"}, "", "role=db"},
		{"a selector in one namespace", []string{"dev"}, "role in (api,web)", []string{"deployment dev/api", "deployment dev/web"}, "dev", "role in (api,web)"},
		{"a selector nothing matches", nil, "role=nothing", []string{}, "", "role=nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sel labels.Selector
			if tc.selector != "" {
				var err error
				if sel, err = labels.Parse(tc.selector); err != nil {
					t.Fatal(err)
				}
			}
			ex, err := s.ExplainWorkloads(tc.namespaces, sel)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, u := range ex.Workloads {
				got = append(got, u.Workload)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("workloads (-want +got):\n%s", diff)
			}
			if ex.Namespace != tc.namespace || ex.Selector != tc.wantSelector {
				t.Errorf("namespace %q, selector %q; want %q, %q", ex.Namespace, ex.Selector, tc.namespace, tc.wantSelector)
			}
		})
	}
	if _, err := s.ExplainWorkloads([]string{"nope"}, nil); err == nil {
		t.Error("a namespace that does not exist is no error")
	}
}
