package query

import "fmt"

// Answers that touch pods the network plugin's own policies (Unevaluated)
// may apply to: those policies may deny what NetworkPolicy allows, or
// (with Calico tiers) allow what it denies, so no verdict is given for
// such a pod. can is UNDECIDED naming them; the map, explain and diff
// mark every port of the edges, peers and changes that touch such pods
// undecided, and say once that flows not shown may be allowed by them.
// Objects of the kinds --ignore-kind names are judged without, and the
// answers say so.

// WarnUnevaluated: policies of the network plugin's own API apply to
// pods of the answer and were not evaluated.
const WarnUnevaluated WarningKind = "unevaluated"

// settleUnevaluated adds to a can answer what the plugin's own policies
// make it depend on, and the note for those judged without.
func (s *Snapshot) settleUnevaluated(ans *Answer) {
	pods := append(ans.Source.PodList(), ans.Destination.PodList()...)
	if l := s.UnevaluatedFor(pods...); len(l) > 0 {
		ans.DependsOn = append(ans.DependsOn, l.String()+" not evaluated")
	}
	if l := s.IgnoredFor(pods...); len(l) > 0 {
		ans.Warnings = append(ans.Warnings, ignoredWarning(l))
	}
}

func ignoredWarning(l UnevaluatedList) Warning {
	return Warning{Kind: WarnUnevaluated, Message: fmt.Sprintf("judged without %s (--ignore-kind): the verdict is NetworkPolicy's and the cluster tiers' alone", l)}
}

// unevaluatedUnits are the names of the units whose pods some unevaluated
// policy may apply to, with those policies.
func (s *Snapshot) unevaluatedUnits() (map[string]bool, UnevaluatedList) {
	if len(s.Unevaluated()) == 0 {
		return nil, nil
	}
	out := map[string]bool{}
	var all UnevaluatedList
	for _, u := range s.Units("") {
		if l := s.UnevaluatedFor(u.Pods...); len(l) > 0 {
			out[u.String()] = true
			for _, o := range l {
				if !containsObject(all, o) {
					all = append(all, o)
				}
			}
		}
	}
	sortUnevaluated(all)
	return out, all
}

func containsObject(l UnevaluatedList, o *Unevaluated) bool {
	for _, x := range l {
		if x == o {
			return true
		}
	}
	return false
}

// unevaluatedWarnings say once what an answer over many flows left
// undecided because of the plugin's own policies, and what it was judged
// without.
func (s *Snapshot) unevaluatedWarnings(n int, noun string, l UnevaluatedList) []Warning {
	var out []Warning
	if n > 0 {
		out = append(out, Warning{Kind: WarnUnevaluated, Message: fmt.Sprintf("%s undecided on every port: %s, not evaluated, may apply to the pods at their ends; flows not shown may be allowed by them", countOf(n, noun+" is", noun+"s are"), l)})
	}
	if ig := s.Ignored(); len(ig) > 0 {
		out = append(out, ignoredWarning(ig))
	}
	return out
}

// markTouched sets every port undecided on the items whose ends are
// units such policies may apply to (item gives the ends of item i and its
// undecided ports), and
// says so once.
func (s *Snapshot) markTouched(noun string, n int, item func(i int) (from, to string, undecided **PortSet)) []Warning {
	touched, l := s.unevaluatedUnits()
	marked := 0
	for i := range n {
		from, to, u := item(i)
		if touched[from] || touched[to] {
			all := AllPorts()
			*u, marked = &all, marked+1
		}
	}
	return s.unevaluatedWarnings(marked, noun, l)
}

// markUnevaluatedEdges marks every port of the map's edges that touch such
// pods undecided.
func (s *Snapshot) markUnevaluatedEdges(g *Graph) {
	g.Warnings = append(g.Warnings, s.markTouched("edge", len(g.Edges), func(i int) (string, string, **PortSet) {
		return g.Edges[i].From, g.Edges[i].To, &g.Edges[i].Undecided
	})...)
}

// markUnevaluatedPeers does the same for explain: every peer of a unit
// such policies may apply to, and every peer they may apply to.
func (s *Snapshot) markUnevaluatedPeers(ex *Explanation) {
	type peer struct {
		unit string
		r    *Reach
	}
	var peers []peer
	for _, ue := range ex.Workloads {
		for _, ds := range []*DirectionSummary{&ue.Ingress, &ue.Egress} {
			for i := range ds.Peers {
				peers = append(peers, peer{ue.Workload, &ds.Peers[i]})
			}
		}
	}
	ex.Warnings = append(ex.Warnings, s.markTouched("peer", len(peers), func(i int) (string, string, **PortSet) {
		return peers[i].unit, peers[i].r.Peer, &peers[i].r.Undecided
	})...)
}

// markUnevaluatedChanges does the same for diff, on the next state.
func (s *Snapshot) markUnevaluatedChanges(res *DiffResult) {
	res.Warnings = append(res.Warnings, s.markTouched("change", len(res.Changes), func(i int) (string, string, **PortSet) {
		return res.Changes[i].Source, res.Changes[i].Destination, &res.Changes[i].Undecided
	})...)
}

// countOf is "1 edge is" or "3 edges are".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
