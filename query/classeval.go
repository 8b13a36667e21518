package query

import (
	"math/bits"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// The class path of the evaluation (see evaluate.go): halves judged per
// equivalence class of pods with the rules compiled to bitsets over the
// classes, never pod pair by pod pair. The map, audit and the property
// tests use it; it must answer as allowedPorts does for every pod pair.

// bitset is a set of class indexes.
type bitset []uint64

// empty tells whether no bit is set.
func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// each calls f on every index in the set, in order.
func (b bitset) each(f func(int)) {
	for i, w := range b {
		for w != 0 {
			f(i*64 + bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
}

// classRule is a rule of any policy compiled against the classes: which
// classes its peers match, and its ports (per destination class when it
// names ports).
type classRule struct {
	rule   *Rule
	action Action
	// relative is set when some peer's answer depends on the subject's
	// node: the rule is matched per pair, not by its bitset.
	relative bool
	peers    bitset // classes the rule's peers match
	static   *PortSet
	// named memoises the ports per destination class of a rule that names
	// ports; map rows are computed concurrently.
	mu    sync.Mutex
	named map[int]PortSet
}

// portsTo is what the rule matches towards class dst, or towards an
// address outside the cluster when dst < 0.
func (g *classRule) portsTo(classes []*Class, dst int) PortSet {
	if g.static != nil {
		return *g.static
	}
	if dst < 0 {
		return g.rule.portsFor(nil) // named ports never match outside
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.named[dst]; ok {
		return p
	}
	p := g.rule.portsFor(classes[dst].Rep)
	g.named[dst] = p
	return p
}

// parallelFor runs f(0..n-1) on every core.
func parallelFor(n int, f func(int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// classEngine evaluates reachability between equivalence classes.
type classEngine struct {
	s       *Snapshot
	classes []*Class
	index   map[*Class]int
	byNS    map[string][]int
	// ends[c] is class c's representative as a flow's end (podEnd).
	ends []flowEnd
	// rules[d][st][c] are the rules of stage st that judge class c in
	// direction d, in precedence order. Tables per direction are indexed
	// by dix.
	rules [2][numStages][][]*classRule
	// isolated[d][c] is set when the allow-list stage isolates class c.
	isolated [2][]bool
	// denies[d][c] is set when the allow-list stage has Deny rules for
	// class c; denyPods when one of them may match a pod (not only
	// addresses outside the cluster, like a deny of the cloud metadata
	// address).
	denies, denyPods [2][]bool
	// ordered[d][c] is set when some ordered stage has rules for class c.
	ordered [2][]bool
	peers   map[*Peer]bitset
	// addrPeers are the classes address peers match, by addressPeerKey.
	addrPeers map[string]bitset
	// free[d][c] is set when nothing judges class c in direction d;
	// freeOfPods when nothing judges it for a pod peer.
	free, freeOfPods [2][]bool
	// reach[d][c] is, for a class that only the allow-list stage judges
	// and that it isolates, the classes some allow rule may match: no
	// other class gets a port. Nil where that does not hold or a rule
	// matches per pair (relative peers).
	reach [2][]bitset
	// byAddr are the classes whose representative has an address, in
	// address order (classesIn).
	byAddr     []int
	byAddrOnce sync.Once
}

func newClassEngine(s *Snapshot) *classEngine {
	e := &classEngine{
		s:       s,
		classes: s.Classes(),
		index:   map[*Class]int{},
		byNS:    map[string][]int{},
		peers:   map[*Peer]bitset{},

		addrPeers: map[string]bitset{},
	}
	e.ends = make([]flowEnd, len(e.classes))
	for i, c := range e.classes {
		e.index[c] = i
		e.ends[i] = podEnd(c.Rep)
		e.byNS[c.Rep.Namespace] = append(e.byNS[c.Rep.Namespace], i)
	}
	compiled := map[*Rule]*classRule{}
	for _, d := range []Direction{Ingress, Egress} {
		x := dix(d)
		e.isolated[x] = make([]bool, len(e.classes))
		e.denies[x] = make([]bool, len(e.classes))
		e.denyPods[x] = make([]bool, len(e.classes))
		e.freeOfPods[x] = make([]bool, len(e.classes))
		e.ordered[x] = make([]bool, len(e.classes))
		e.free[x] = make([]bool, len(e.classes))
		for st := range numStages {
			e.rules[x][st] = make([][]*classRule, len(e.classes))
		}
		for c, class := range e.classes {
			for st := range numStages {
				rules, isolated := s.stageRules(st, d, class.Rep)
				for _, ar := range rules {
					cr, ok := compiled[ar.rule]
					if !ok {
						cr = e.compile(ar.rule)
						compiled[ar.rule] = cr
					}
					e.rules[x][st][c] = append(e.rules[x][st][c], cr)
				}
				if st.kind() == allowList {
					e.isolated[x][c] = e.isolated[x][c] || isolated
					for _, cr := range e.rules[x][st][c] {
						if cr.action == ActionDeny {
							e.denies[x][c] = true
							e.denyPods[x][c] = e.denyPods[x][c] || cr.relative || !cr.peers.empty()
						}
					}
				} else {
					e.ordered[x][c] = e.ordered[x][c] || len(rules) > 0
				}
			}
			e.free[x][c] = !e.isolated[x][c] && !e.ordered[x][c] && !e.denies[x][c]
			e.freeOfPods[x][c] = !e.isolated[x][c] && !e.ordered[x][c] && !e.denyPods[x][c]
		}
		e.reach[x] = make([]bitset, len(e.classes))
		for c := range e.classes {
			e.reach[x][c] = e.reachOf(x, c)
		}
	}
	return e
}

// reachOf is reach[x][c] (see classEngine).
func (e *classEngine) reachOf(x, c int) bitset {
	if !e.isolated[x][c] || e.ordered[x][c] {
		return nil
	}
	out := newBitset(len(e.classes))
	for _, r := range e.rules[x][stageNetworkPolicy][c] {
		if r.action == ActionDeny {
			continue // denies only take away
		}
		if r.relative {
			return nil
		}
		out.or(r.peers)
	}
	return out
}

// dix indexes the per-direction tables: ingress 0, egress 1.
func dix(d Direction) int {
	if d == Egress {
		return 1
	}
	return 0
}

// compile compiles a rule against the classes.
func (e *classEngine) compile(r *Rule) *classRule {
	cr := &classRule{rule: r, action: r.action, peers: newBitset(len(e.classes)), named: map[int]PortSet{}}
	cr.relative = slices.ContainsFunc(r.peers, func(pe Peer) bool { return pe.relative() })
	if r.denyAll {
		cr.action = ActionDeny
	}
	if r.anyPeer || r.denyAll {
		for i := range e.classes {
			cr.peers.set(i)
		}
	}
	for i := range r.peers {
		cr.peers.or(e.peerClasses(&r.peers[i], r.action))
	}
	if !r.namedPorts() {
		ports := r.portsFor(nil)
		cr.static = &ports
	}
	return cr
}

// peerClasses is the set of classes one peer matches, computed once per
// peer by the one matcher on each class's representative; only classes of
// the namespaces the peer may match are tried.
func (e *classEngine) peerClasses(pe *Peer, action Action) bitset {
	if b, ok := e.peers[pe]; ok {
		return b
	}
	b := newBitset(len(e.classes))
	try := func(i int) {
		if e.s.matchPeer(pe, action, e.ends[i]) == missNone {
			b.set(i)
		}
	}
	if pe.kind == peerIPBlock || pe.kind == peerNetworks {
		// A pod matches an address peer only by its address: only the
		// classes whose address lies in one of the peer's networks are
		// tried, not every class for every ipBlock of every policy, and
		// the many policies that name the same ranges share one answer.
		key := addressPeerKey(pe)
		if b, ok := e.addrPeers[key]; ok {
			e.peers[pe] = b
			return b
		}
		for _, n := range pe.networks {
			for _, i := range e.classesIn(n) {
				try(i)
			}
		}
		e.addrPeers[key] = b
	} else if names, all := e.s.namespacesOfPeer(pe); all {
		for i := range e.classes {
			try(i)
		}
	} else {
		for _, ns := range names {
			for _, i := range e.byNS[ns] {
				try(i)
			}
		}
	}
	e.peers[pe] = b
	return b
}

// addressPeerKey names what an address peer matches of pods: its kind,
// networks and excepts (a pod's address is matched alike for every
// action).
func addressPeerKey(pe *Peer) string {
	var b strings.Builder
	b.WriteString(string(pe.kind))
	for _, n := range pe.networks {
		b.WriteString(" " + n.String())
	}
	b.WriteString(" except")
	for _, n := range pe.except {
		b.WriteString(" " + n.String())
	}
	return b.String()
}

// classesIn lists the classes whose representative's address (the one
// podEnd gives it) lies in n, from the classes sorted by address (built
// once, on first use).
func (e *classEngine) classesIn(n netip.Prefix) []int {
	e.byAddrOnce.Do(func() {
		for i, end := range e.ends {
			if end.addr.IsValid() {
				e.byAddr = append(e.byAddr, i)
			}
		}
		slices.SortFunc(e.byAddr, func(a, b int) int { return e.ends[a].addr.Compare(e.ends[b].addr) })
	})
	lo, _ := slices.BinarySearchFunc(e.byAddr, n.Masked().Addr(), func(i int, a netip.Addr) int { return e.ends[i].addr.Compare(a) })
	hi := lo
	for hi < len(e.byAddr) && n.Contains(e.ends[e.byAddr[hi]].addr) {
		hi++
	}
	return e.byAddr[lo:hi]
}

// restricted tells whether some policy may deny traffic of class c in
// direction d: the allow-list stage isolates it, or an ordered stage has a
// Deny rule that applies to it.
func (e *classEngine) restricted(d Direction, c int) bool {
	x := dix(d)
	if e.isolated[x][c] || e.denies[x][c] {
		return true
	}
	for st := range numStages {
		for _, r := range e.rules[x][st][c] {
			if st.kind() == ordered && r.action == ActionDeny {
				return true
			}
		}
	}
	return false
}

// classPorts is the ports class a may use to reach class b (distinct pods).
func (e *classEngine) classPorts(a, b int) PortSet {
	if e.freeOfPods[dix(Egress)][a] && e.freeOfPods[dix(Ingress)][b] {
		return allPorts // the common case of open namespaces
	}
	if r := e.reach[dix(Egress)][a]; r != nil && !r.has(b) {
		return PortSet{} // no egress rule of a may match b
	}
	if r := e.reach[dix(Ingress)][b]; r != nil && !r.has(a) {
		return PortSet{} // no ingress rule of b may match a
	}
	egress := e.sidePorts(Egress, a, peerOf{class: b}, b)
	if egress.IsEmpty() {
		return egress
	}
	ingress := e.sidePorts(Ingress, b, peerOf{class: a}, b)
	if ingress.IsAll() {
		return egress
	}
	return egress.Intersect(ingress)
}

// externalPorts is the ports between class c and an address outside the
// cluster: egress from c when toOutside, else ingress into c.
func (e *classEngine) externalPorts(c int, addr flowEnd, toOutside bool) PortSet {
	if toOutside {
		return e.sidePorts(Egress, c, peerOf{class: -1, addr: &addr}, -1)
	}
	return e.sidePorts(Ingress, c, peerOf{class: -1, addr: &addr}, c)
}

// peerOf is the other end of a half: a class, or (class -1) an address
// outside the cluster.
type peerOf struct {
	class int
	addr  *flowEnd
}

// matches tells whether the rule matches the other end for subject class
// c: by the rule's bitset, or for an address (or a rule whose peers depend
// on the subject's node) by the one matcher.
func (e *classEngine) matches(r *classRule, peer peerOf, c int) bool {
	switch {
	case r.relative && peer.class >= 0:
		return e.s.matchesPeer(r.rule, e.ends[peer.class].seenFrom(e.classes[c].Rep))
	case peer.class >= 0:
		return r.peers.has(peer.class)
	}
	return e.s.matchesPeer(r.rule, peer.addr.seenFrom(e.classes[c].Rep))
}

// allowListPorts is the allow-list stage for class c: what its rules
// allow and deny towards dst.
func (e *classEngine) allowListPorts(d Direction, c int, peer peerOf, dst int) listJudgement {
	j := listJudgement{isolated: e.isolated[dix(d)][c]}
	for _, r := range e.rules[dix(d)][stageNetworkPolicy][c] {
		if e.matches(r, peer, c) {
			j.add(r.action, r.portsTo(e.classes, dst))
		}
	}
	return j
}

// sidePorts is the ports one half of a flow lets through for class c:
// peer is the other end, dst the destination class (-1 outside the
// cluster). It is the hot path of the map: without ordered stages, no
// closures.
func (e *classEngine) sidePorts(d Direction, c int, peer peerOf, dst int) PortSet {
	x := dix(d)
	if !e.ordered[x][c] {
		// Only the allow-list stage: decide's answer without the walk.
		if e.free[x][c] || peer.class >= 0 && e.freeOfPods[x][c] {
			return AllPorts()
		}
		return e.allowListPorts(d, c, peer, dst).lets()
	}
	return decide(func(st stage, undecided PortSet) (PortSet, PortSet) {
		if st.kind() == allowList {
			return allowListJudgement(e.allowListPorts(d, c, peer, dst), undecided)
		}
		rules := e.rules[x][st][c]
		accept, pass, rest := walkRules(len(rules), func(i int) (Action, PortSet, bool) {
			if !e.matches(rules[i], peer, c) {
				return rules[i].action, PortSet{}, false
			}
			return rules[i].action, rules[i].portsTo(e.classes, dst), true
		}, undecided, nil)
		return accept, pass.Union(rest)
	}).allowed
}
