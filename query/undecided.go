package query

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Answers over many flows (map, explain, diff) under a profile that leaves
// behaviours unknown. The answer is computed once more on every variant of
// the snapshot (variants.go), on the same address regions, and every item
// whose ports differ on some variant is marked undecided with those ports;
// an item that exists only on a variant is added with no ports of its own.
// One warning per answer names what the undecided items depend on. Without
// variants (the API text, or a profile whose unknowns no policy here
// touches) nothing more is computed.

// ProfileErr is the error of judging the snapshots under their profile:
// it leaves more behaviours unknown that their policies depend on than
// can be judged both ways. Answers over many flows fail with it, as "can"
// does; several snapshots (the two states of a diff) count together.
func ProfileErr(snaps ...*Snapshot) error {
	// Counted, not judged: the variants are built by the answers that use
	// them (audit uses none).
	if u := unknownsOf(snaps...); len(u) > maxUnknowns {
		return tooManyUnknowns(snaps[len(snaps)-1].opts.Profile, len(u))
	}
	return nil
}

func tooManyUnknowns(p Profile, n int) error {
	return fmt.Errorf("the network plugin profile %s leaves %d behaviours unknown that these policies depend on; give --cni NAME", p.Name, n)
}

// unknownsOf are the unknown behaviours some of the snapshots depend on,
// in Behaviours order.
func unknownsOf(snaps ...*Snapshot) []Behaviour {
	some := map[Behaviour]bool{}
	for _, s := range snaps {
		for _, b := range s.relevantUnknowns() {
			some[b] = true
		}
	}
	var out []Behaviour
	for _, b := range judgedBehaviours {
		if some[b] {
			out = append(out, b)
		}
	}
	return out
}

// symDiff is the ports in exactly one of a and b: where two answers
// differ.
func symDiff(a, b PortSet) PortSet {
	return a.Subtract(b).Union(b.Subtract(a))
}

// unsettled are the warnings about the profile that no item counts in:
// variants that could not be judged, a plugin that may enforce no policy
// at all (then every flow not allowed is undecided), and one that enforces
// none (then the answer is hypothetical).
func (s *Snapshot) unsettled(err error) []Warning {
	var out []Warning
	if err != nil {
		out = append(out, Warning{Kind: WarnUndecided, Message: fmt.Sprintf("not judged under the values the network plugin profile leaves unknown: %v", err)})
	}
	switch s.opts.Profile.Get(BehaviourEnforced) {
	case Unknown:
		out = append(out, Warning{Kind: WarnUndecided, Message: "every flow not shown as allowed depends on " + BehaviourEnforced.Question()})
	case No:
		out = append(out, Warning{Kind: WarnNetworkPlugin, Message: fmt.Sprintf("hypothetical: the network plugin (profile %s) enforces no policy, so the cluster allows every flow; this is what the policies say", s.opts.Profile.Name)})
	}
	return out
}

// undecidedWarnings is the one warning an answer over many flows gives
// when n of its items (edges, peers, changes: noun in the singular) are
// undecided, naming the questions they depend on; none when n is 0.
func undecidedWarnings(n int, noun string, questions []string) []Warning {
	if n == 0 {
		return nil
	}
	what, they, them := fmt.Sprintf("%d %ss are", n, noun), "they depend", "them"
	if n == 1 {
		what, they, them = "1 "+noun+" is", "it depends", "it"
	}
	on := strings.Join(questions, " and ")
	if len(questions) == 0 {
		on = "what the network plugin does where its profile does not say"
	}
	return []Warning{{Kind: WarnUndecided, Message: fmt.Sprintf("%s marked undecided: %s on %s (\"can\" exits 2 on %s)", what, they, on, them)}}
}

// questions are the behaviours the differing variants flip, as questions.
func (s *Snapshot) questions(differs []*Snapshot) []string {
	var out []string
	for _, b := range s.dependsOn(differs) {
		out = append(out, b.Question())
	}
	return out
}

// samePods are the variant's pods of the given names (a variant is built
// anew, so its pods are other values).
func (s *Snapshot) samePods(pods []*Pod) []*Pod {
	if pods == nil {
		return nil
	}
	out := make([]*Pod, 0, len(pods))
	for _, p := range pods {
		for _, q := range s.podsByNS[p.Namespace] {
			if q.Name == p.Name {
				out = append(out, q)
				break
			}
		}
	}
	return out
}

// order ranks what answers list: workloads in unit order, then address
// regions in region order.
type order struct {
	units, regions map[string]int
}

func newOrder(units []*Unit, regions []region) order {
	o := order{units: map[string]int{}, regions: map[string]int{}}
	for i, u := range units {
		o.units[u.String()] = i
	}
	for i, r := range regions {
		o.regions[r.name] = i
	}
	return o
}

// rank is a node's place: workloads first.
func (o order) rank(id string) int {
	if i, ok := o.units[id]; ok {
		return i
	}
	return len(o.units) + o.regions[id]
}

// edgeRank is an edge's place in a map: the edges between workloads by
// source then destination, then per region the edges to it and from it
// by workload.
func (o order) edgeRank(e Edge) [4]int {
	if ri, ok := o.regions[e.To]; ok {
		return [4]int{1, ri, o.units[e.From], 0}
	}
	if ri, ok := o.regions[e.From]; ok {
		return [4]int{1, ri, o.units[e.To], 1}
	}
	return [4]int{0, o.units[e.From], o.units[e.To], 0}
}

// settleGraph builds the map and marks the edges whose ports differ on a
// variant undecided.
func (s *Snapshot) settleGraph(opts GraphOptions) *Graph {
	opts.Aggregate = s.aggregable(opts)
	vs, err := s.variants()
	opts.keepSome = len(vs) > 0
	g, some := s.graph(opts)
	p := s.opts.Profile
	g.Profile = &p
	g.unsettled = s.unsettled(err)
	defer func() { g.Warnings = append(g.Warnings, g.unsettled...) }()
	defer s.markUnevaluatedEdges(g)
	if len(vs) == 0 {
		return g
	}
	opts.prefixes = s.regionPrefixes()
	type key struct{ from, to string }
	index := make(map[key]int, len(g.Edges))
	for i, e := range g.Edges {
		index[key{e.From, e.To}] = i
	}
	known := len(g.Edges)
	undecided := make([]PortSet, len(g.Edges))
	var differs []*Snapshot
	variantNodes := map[string]Node{}
	for _, v := range vs {
		vo := opts
		vo.Focus = v.samePods(opts.Focus)
		vg, vsome := v.graph(vo)
		for _, n := range vg.Nodes {
			variantNodes[n.ID] = n
		}
		seen := make([]bool, len(g.Edges), len(g.Edges)+len(vg.Edges))
		differ := false
		mark := func(i int, d PortSet) {
			if !d.IsEmpty() {
				undecided[i], differ = undecided[i].Union(d), true
			}
		}
		for j, ve := range vg.Edges {
			i, ok := index[key{ve.From, ve.To}]
			if !ok {
				i = len(g.Edges)
				index[key{ve.From, ve.To}] = i
				g.Edges = append(g.Edges, Edge{From: ve.From, To: ve.To, Ports: &PortSet{}})
				some, undecided, seen = append(some, PortSet{}), append(undecided, PortSet{}), append(seen, false)
			}
			seen[i] = true
			mark(i, symDiff(*g.Edges[i].Ports, *ve.Ports).Union(symDiff(some[i], vsome[j])))
		}
		for i, ok := range seen {
			if !ok {
				mark(i, g.Edges[i].Ports.Union(some[i]))
			}
		}
		if differ {
			differs = append(differs, v)
		}
	}
	added := false
	kept := g.Edges[:0]
	for i, e := range g.Edges {
		if !undecided[i].IsEmpty() {
			u := undecided[i]
			e.Undecided = &u
		}
		if i >= known && e.Undecided == nil {
			continue // only ambiguous on a variant: nothing to decide
		}
		added = added || i >= known
		kept = append(kept, e)
	}
	g.Edges = kept
	if added {
		g.addNodes(variantNodes, newOrder(s.Units(""), addressRegions(opts.prefixes)))
	}
	g.dependsOn = s.questions(differs)
	g.Warnings = append(g.Warnings, undecidedWarnings(countUndecided(g.Edges), "edge", g.dependsOn)...)
	return g
}

// addNodes orders the edges after some were added from variants, and adds
// the nodes they join that the map lacks.
func (g *Graph) addNodes(from map[string]Node, o order) {
	slices.SortStableFunc(g.Edges, func(a, b Edge) int {
		ra, rb := o.edgeRank(a), o.edgeRank(b)
		return slices.Compare(ra[:], rb[:])
	})
	have := map[string]bool{}
	for _, n := range g.Nodes {
		have[n.ID] = true
	}
	for _, e := range g.Edges {
		for _, id := range []string{e.From, e.To} {
			if !have[id] {
				have[id] = true
				g.Nodes = append(g.Nodes, from[id])
			}
		}
	}
	slices.SortStableFunc(g.Nodes, func(a, b Node) int { return cmp.Compare(o.rank(a.ID), o.rank(b.ID)) })
}

func countUndecided(edges []Edge) int {
	n := 0
	for _, e := range edges {
		if e.Undecided != nil {
			n++
		}
	}
	return n
}

// settleExplanation names the profile of an explanation and marks the
// peers whose ports differ on a variant undecided.
func (s *Snapshot) settleExplanation(ex *Explanation) {
	p := s.opts.Profile
	ex.Profile = &p
	vs, err := s.variants()
	defer func() { ex.Warnings = append(ex.Warnings, s.unsettled(err)...) }()
	defer s.markUnevaluatedPeers(ex)
	if len(vs) == 0 {
		return
	}
	type dir struct {
		ue *UnitExplanation
		ds *DirectionSummary
	}
	var dirs []dir
	for _, ue := range ex.Workloads {
		dirs = append(dirs, dir{ue, &ue.Ingress}, dir{ue, &ue.Egress})
	}
	undecided := make([]map[string]PortSet, len(dirs))
	added := make([]bool, len(dirs))
	var differs []*Snapshot
	for _, v := range vs {
		units := v.Units("")
		byName := map[string]*Unit{}
		for _, u := range units {
			byName[u.String()] = u
		}
		differ := false
		for i, d := range dirs {
			vu := byName[d.ue.Workload]
			if vu == nil {
				continue // a variant has the same workloads
			}
			if undecided[i] == nil {
				undecided[i] = map[string]PortSet{}
			}
			more, diff := d.ds.compareReach(v.peers(d.ds.Direction, vu, units, d.ds.regions), undecided[i])
			added[i] = added[i] || more
			differ = differ || diff
		}
		if differ {
			differs = append(differs, v)
		}
	}
	n := 0
	units := s.Units("")
	for i, d := range dirs {
		n += d.ds.markUndecided(undecided[i], added[i], newOrder(units, d.ds.regions))
	}
	ex.Warnings = append(ex.Warnings, undecidedWarnings(n, "peer", s.questions(differs))...)
}

// compareReach adds to undecided, by peer, the ports on which the peers a
// variant finds differ from the summary's, and appends the peers only the
// variant has (with no ports); more reports such peers, differs any
// difference.
func (ds *DirectionSummary) compareReach(peers []Reach, undecided map[string]PortSet) (more, differs bool) {
	index := map[string]int{}
	for i, r := range ds.Peers {
		index[r.Peer] = i
	}
	seen := make([]bool, len(ds.Peers))
	mark := func(peer string, d PortSet) {
		if !d.IsEmpty() {
			undecided[peer], differs = undecided[peer].Union(d), true
		}
	}
	for _, vr := range peers {
		i, ok := index[vr.Peer]
		if !ok {
			more = true
			i = len(ds.Peers)
			index[vr.Peer] = i
			ds.Peers = append(ds.Peers, Reach{Peer: vr.Peer, External: vr.External})
			seen = append(seen, false)
		}
		seen[i] = true
		r := ds.Peers[i]
		mark(r.Peer, symDiff(r.Ports, vr.Ports).Union(symDiff(r.all, vr.all)))
	}
	for i, ok := range seen {
		if !ok {
			mark(ds.Peers[i].Peer, ds.Peers[i].Ports.Union(ds.Peers[i].all))
		}
	}
	return more, differs
}

// markUndecided sets the undecided ports of the peers, drops the peers
// only a variant had and that nothing makes undecided, puts added peers
// in order, and counts the undecided ones.
func (ds *DirectionSummary) markUndecided(undecided map[string]PortSet, added bool, o order) int {
	n := 0
	ds.Peers = slices.DeleteFunc(ds.Peers, func(r Reach) bool {
		_, ok := undecided[r.Peer]
		return !ok && r.Ports.IsEmpty() && r.all.IsEmpty() && r.Ambiguous == nil
	})
	for i := range ds.Peers {
		if u, ok := undecided[ds.Peers[i].Peer]; ok {
			ds.Peers[i].Undecided = &u
			n++
		}
	}
	if added {
		slices.SortStableFunc(ds.Peers, func(a, b Reach) int { return cmp.Compare(o.rank(a.Peer), o.rank(b.Peer)) })
	}
	return n
}
