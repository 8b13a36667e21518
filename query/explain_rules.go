package query

// ExplainRules explains the named workloads (as Unit.String names them:
// "deployment prod/api") as Explain does, but without their effect: what
// isolates each direction, the selecting policies, every rule in plain
// words with the workloads its peers match, and the cluster policy rules
// that apply. Peers are left empty: a map already holds who reaches whom,
// and resolving the peers workload by workload costs, on a cluster of
// thousands of pods, seconds the map has already spent. The map's pictures
// (plugin/output) embed this to name the rules behind each edge. Names
// that are no workload of the snapshot are skipped.
func (s *Snapshot) ExplainRules(workloads []string) []*UnitExplanation {
	want := make(map[string]bool, len(workloads))
	for _, w := range workloads {
		want[w] = true
	}
	var out []*UnitExplanation
	for _, u := range s.Units("") {
		if !want[u.String()] {
			continue
		}
		// With no units to resolve against, summarize resolves only the
		// address regions; those are dropped too.
		ue := s.explainUnit(u, nil)
		ue.Ingress.Peers, ue.Egress.Peers = []Reach{}, []Reach{}
		out = append(out, ue)
	}
	return out
}
