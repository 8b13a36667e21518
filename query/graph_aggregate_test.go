package query

import (
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

// TestAggregatedMapExpandsToTheMap: the aggregated map, its groups
// expanded member by member, lists exactly the edges of the map without
// groups, with the same ports, on generated clusters (whole, and per
// namespace); and it has far fewer edges.
func TestAggregatedMapExpandsToTheMap(t *testing.T) {
	sets := 0 // groups of several namespaces' open units
	for _, cfg := range []gen.Config{{Pods: 400, Policies: 80, Seed: 1}, {Pods: 1000, Policies: 200, Seed: 7}, {Pods: 600, Policies: 40, Seed: 3}} {
		s := testSnapshot(t, DefaultOptions(), gen.Cluster(cfg)...)
		single := map[string]bool{}
		for _, u := range s.Units("") {
			single[u.String()] = len(u.Pods) == 1
		}
		for _, ns := range []string{"", s.Units("")[len(s.Units(""))/2].Namespace} {
			plain := s.Graph(GraphOptions{Namespace: ns})
			agg := s.Graph(GraphOptions{Namespace: ns, Aggregate: true})
			want := map[string]string{}
			for _, e := range plain.Edges {
				want[e.From+" -> "+e.To] = e.Ports.String()
			}
			got := map[string]string{}
			expanded := agg.Expand()
			listed := map[string]bool{}
			for _, n := range expanded.Nodes {
				listed[n.ID] = true
			}
			for _, e := range expanded.Edges {
				if !listed[e.From] || !listed[e.To] {
					t.Errorf("seed %d ns %q: expanded edge %s -> %s names a node the map does not list", cfg.Seed, ns, e.From, e.To)
				}
			}
			for _, e := range expanded.Edges {
				k := e.From + " -> " + e.To
				if e.From == e.To && single[e.From] {
					continue // a one-pod workload to itself: its pod to itself
				}
				if prev, dup := got[k]; dup && prev != e.Ports.String() {
					t.Errorf("seed %d ns %q: %s twice, %s and %s", cfg.Seed, ns, k, prev, e.Ports)
				}
				got[k] = e.Ports.String()
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("seed %d ns %q: %s: aggregated %q, map %q", cfg.Seed, ns, k, got[k], v)
				}
			}
			for k, v := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("seed %d ns %q: %s %s only in the aggregated map", cfg.Seed, ns, k, v)
				}
			}
			if ns == "" && len(agg.Edges) >= len(plain.Edges) {
				t.Errorf("seed %d: %d aggregated edges for %d", cfg.Seed, len(agg.Edges), len(plain.Edges))
			}
			for _, n := range agg.Nodes {
				if strings.Contains(n.ID, " namespaces (set ") {
					sets++
				}
			}
			t.Logf("seed %d ns %q: %d edges, %d aggregated", cfg.Seed, ns, len(plain.Edges), len(agg.Edges))
		}
	}
	if sets == 0 {
		t.Error("no group of several namespaces formed: the test no longer covers them")
	}
}
