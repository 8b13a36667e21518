package query_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestAnswersWithUnevaluatedPolicies: a MultiNetworkPolicy selecting
// prod's database makes every answer about the database undecided (can:
// UNDECIDED naming it; map, explain, diff: every port of what touches the
// database marked, said once; audit: a finding), answers about other pods
// stay decided, and --ignore-kind judges without it, saying so.
func TestAnswersWithUnevaluatedPolicies(t *testing.T) {
	objs := loadObjects(t, threeTier, "../testdata/cni/multinetworkpolicy.yaml")
	snap := func(ignore ...string) *query.Snapshot {
		opts := query.DefaultOptions()
		opts.IgnoreKinds = ignore
		s, err := query.NewSnapshot(objs, opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := snap()
	ask := func(s *query.Snapshot, src, dst string) *query.Answer {
		t.Helper()
		f, err := query.ParseFlow([]string{src, dst})
		if err != nil {
			t.Fatal(err)
		}
		ans, err := s.Can(f, "prod")
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	t.Run("can about the selected pod is undecided, naming the policy", func(t *testing.T) {
		ans := ask(s, "prod/api", "prod/db:3306")
		if ans.Decided || !slices.Contains(ans.DependsOn, "1 MultiNetworkPolicy in prod not evaluated") {
			t.Errorf("decided %v, depends on %q", ans.Decided, ans.DependsOn)
		}
	})
	t.Run("can about other pods is decided", func(t *testing.T) {
		if ans := ask(s, "prod/web", "prod/api:5000"); !ans.Decided || !ans.Allowed {
			t.Errorf("decided %v allowed %v, depends on %q", ans.Decided, ans.Allowed, ans.DependsOn)
		}
	})
	t.Run("--ignore-kind judges without it and says so", func(t *testing.T) {
		ans := ask(snap("MultiNetworkPolicy"), "prod/api", "prod/db:3306")
		if !ans.Decided || !ans.Allowed || !slices.ContainsFunc(ans.Warnings, func(w query.Warning) bool {
			return strings.Contains(w.Message, "judged without 1 MultiNetworkPolicy in prod (--ignore-kind)")
		}) {
			t.Errorf("decided %v allowed %v warnings %v", ans.Decided, ans.Allowed, ans.Warnings)
		}
	})
	t.Run("map marks every edge to or from the database, once", func(t *testing.T) {
		g := s.Graph(query.GraphOptions{Namespace: "prod"})
		marked := 0
		for _, e := range g.Edges {
			touches := strings.HasSuffix(e.From, "prod/db") || strings.HasSuffix(e.To, "prod/db")
			if touches != (e.Undecided != nil && e.Undecided.IsAll()) {
				t.Errorf("edge %s -> %s: undecided %v", e.From, e.To, e.Undecided)
			}
			if touches {
				marked++
			}
		}
		n := 0
		for _, w := range g.Warnings {
			if w.Kind == query.WarnUnevaluated {
				n++
			}
		}
		if marked == 0 || n != 1 {
			t.Errorf("%d edges marked, %d warnings", marked, n)
		}
	})
	t.Run("explain marks the database's peers", func(t *testing.T) {
		ex, err := s.ExplainNamespace("prod")
		if err != nil {
			t.Fatal(err)
		}
		for _, ue := range ex.Workloads {
			for _, r := range ue.Ingress.Peers {
				touches := strings.HasSuffix(ue.Workload, "prod/db") || strings.HasSuffix(r.Peer, "prod/db")
				if touches != (r.Undecided != nil) {
					t.Errorf("%s ingress peer %s: undecided %v", ue.Workload, r.Peer, r.Undecided)
				}
			}
		}
	})
	t.Run("diff marks changes that touch the database", func(t *testing.T) {
		next, err := s.Without(query.ObjectRef{Kind: "NetworkPolicy", Namespace: "prod", Name: "db"})
		if err != nil {
			t.Fatal(err)
		}
		res := query.Diff(s, next)
		if len(res.Changes) == 0 {
			t.Fatal("no change")
		}
		for _, c := range res.Changes {
			if touches := strings.HasSuffix(c.Destination, "prod/db") || strings.HasSuffix(c.Source, "prod/db"); touches != (c.Undecided != nil) {
				t.Errorf("change %s -> %s: undecided %v", c.Source, c.Destination, c.Undecided)
			}
		}
	})
	t.Run("audit reports the policy", func(t *testing.T) {
		found := slices.ContainsFunc(s.Audit(query.AuditOptions{Namespaces: []string{"prod"}}).Findings, func(f query.Finding) bool {
			return f.Check == "unevaluated-policies" && f.Object == "1 MultiNetworkPolicy in prod"
		})
		if !found {
			t.Error("no unevaluated-policies finding for 1 MultiNetworkPolicy in prod")
		}
	})
}

// TestManyFlowsOnAPluginThatEnforcesNothing: the map, explain and diff of
// a cluster whose plugin enforces no policy say once that they are
// hypothetical.
func TestManyFlowsOnAPluginThatEnforcesNothing(t *testing.T) {
	opts := query.DefaultOptions()
	p, err := query.ProfileNamed("flannel")
	if err != nil {
		t.Fatal(err)
	}
	opts.Profile = p
	s, err := query.NewSnapshot(loadObjects(t, threeTier), opts)
	if err != nil {
		t.Fatal(err)
	}
	hypothetical := func(ws []query.Warning) int {
		n := 0
		for _, w := range ws {
			if strings.HasPrefix(w.Message, "hypothetical: the network plugin (profile none) enforces no policy") {
				n++
			}
		}
		return n
	}
	ex, err := s.ExplainNamespace("prod")
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.Without(query.ObjectRef{Kind: "NetworkPolicy", Namespace: "prod", Name: "db"})
	if err != nil {
		t.Fatal(err)
	}
	for what, ws := range map[string][]query.Warning{"map": s.Graph(query.GraphOptions{}).Warnings, "explain": ex.Warnings, "diff": query.Diff(s, next).Warnings} {
		if n := hypothetical(ws); n != 1 {
			t.Errorf("%s: %d hypothetical warnings, want 1: %v", what, n, ws)
		}
	}
}

// TestAnswersWithCiliumPolicies: a CiliumNetworkPolicy is evaluated, not
// read as an unevaluated object: the answers about the database it selects
// stay decided, and its rule still lets the API in when the NetworkPolicy
// that also does is gone.
func TestAnswersWithCiliumPolicies(t *testing.T) {
	s, err := query.NewSnapshot(loadObjects(t, threeTier, "../testdata/cni/cilium-networkpolicy.yaml"), query.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if u := s.Unevaluated(); len(u) != 0 {
		t.Errorf("unevaluated %v, want none", u)
	}
	withoutNP, err := s.Without(query.ObjectRef{Kind: "NetworkPolicy", Namespace: "prod", Name: "db"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		s        *query.Snapshot
		src, dst string
		allowed  bool
	}{
		{"the API may call the database", s, "prod/api", "prod/db:3306", true},
		{"without the NetworkPolicy db, the CiliumNetworkPolicy still lets the API in", withoutNP, "prod/api", "prod/db:3306", true},
		{"without the NetworkPolicy db, the CiliumNetworkPolicy lets in no other caller", withoutNP, "prod/web", "prod/db:3306", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := query.ParseFlow([]string{tc.src, tc.dst})
			if err != nil {
				t.Fatal(err)
			}
			ans, err := tc.s.Can(f, "prod")
			if err != nil {
				t.Fatal(err)
			}
			if !ans.Decided || ans.Allowed != tc.allowed {
				t.Errorf("decided %v allowed %v, depends on %q; want decided, allowed %v", ans.Decided, ans.Allowed, ans.DependsOn, tc.allowed)
			}
		})
	}
	if slices.ContainsFunc(s.Audit(query.AuditOptions{Namespaces: []string{"prod"}}).Findings, func(f query.Finding) bool { return f.Check == "unevaluated-policies" }) {
		t.Error("an unevaluated-policies finding for an evaluated CiliumNetworkPolicy")
	}
}
