package query

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Verdicts that depend on what the network plugin does: a profile that
// leaves a behaviour unknown is judged under each value of every unknown
// behaviour that can change a verdict of the snapshot (variants); an
// answer that differs between variants is undecided, naming the
// behaviours it depends on.

// behaviourRunTime is not the network plugin's but the run time's: what
// the peers hold whose members only the dataplane knows (Cilium's
// toFQDNs, toServices without selector, toGroups, kube-apiserver, host and
// remote-node without Node objects, mutual authentication). The snapshot
// reads them as allowing the least (runTimeMatch); the variant assuming
// this behaviour as allowing the most. It is judged like an unknown
// behaviour when the snapshot has such peers (Snapshot.runTime).
const behaviourRunTime Behaviour = "run-time-peers"

// judgedBehaviours are the behaviours variants judge both ways, in the
// order answers name them: the profile's, then the run time's.
var judgedBehaviours = append(slices.Clone(Behaviours), behaviourRunTime)

// maxUnknowns bounds the unknown behaviours judged in every combination
// (2^n snapshots).
const maxUnknowns = 6

// variantSet is the snapshot under every combination of the relevant
// unknown behaviours, built once on first use.
type variantSet struct {
	once  sync.Once
	snaps []*Snapshot
	err   error
}

// relevantUnknowns are the behaviours the profile leaves unknown that can
// change some verdict of this snapshot: only those are judged both ways.
// Whether policy is enforced at all is judged on the answer (undecided
// when something is denied), not by a variant.
func (s *Snapshot) relevantUnknowns() []Behaviour {
	var has struct{ ipBlock, sctp, rng, namedIn, namedOut, np bool }
	hostNet := slices.ContainsFunc(s.pods, func(p *Pod) bool { return p.HostNetwork })
	for _, ps := range append(slices.Collect(maps.Values(s.policies)), s.clusterCilium) {
		for _, p := range ps {
			if p.name == isolateAllName {
				continue
			}
			has.np = true
			for _, d := range []Direction{Ingress, Egress} {
				for _, r := range p.rules(d) {
					has.ipBlock = has.ipBlock || r.ipBlocks || r.ciliumCIDRs && s.sem.ciliumProfile
					for _, pt := range r.ports {
						has.sctp = has.sctp || pt.protocol == "SCTP"
						has.rng = has.rng || pt.named == "" && pt.from != pt.to
						has.namedIn = has.namedIn || d == Ingress && pt.named != ""
						has.namedOut = has.namedOut || d == Egress && pt.named != ""
					}
				}
			}
		}
	}
	relevant := map[Behaviour]bool{
		BehaviourIsolateAll:          len(s.pods) > 0,
		BehaviourClusterPolicies:     len(s.cluster)+len(s.ignoredCluster) > 0,
		BehaviourIPBlockPodIPs:       has.ipBlock,
		BehaviourIPBlockNodeIPs:      has.ipBlock && (hostNet || len(s.nodes) > 0),
		BehaviourSCTP:                has.sctp,
		BehaviourEndPort:             has.rng,
		BehaviourNamedPortsIngress:   has.namedIn,
		BehaviourNamedPortsEgress:    has.namedOut,
		BehaviourHostNetworkSubjects: hostNet && has.np,
		BehaviourHostNetworkPeers:    hostNet && has.np,
		BehaviourNodeToPod:           (hostNet || len(s.nodes) > 0) && slices.ContainsFunc(s.pods, func(p *Pod) bool { return p.NodeName != "" }),
	}
	var out []Behaviour
	for _, b := range s.opts.Profile.Unknowns() {
		if relevant[b] {
			out = append(out, b)
		}
	}
	if s.runTime {
		out = append(out, behaviourRunTime)
	}
	return out
}

// variants are the snapshot judged under every other combination of
// values of the relevant unknown behaviours (the snapshot itself takes the
// API text's values).
func (s *Snapshot) variants() ([]*Snapshot, error) {
	if s.opts.assume != nil {
		return nil, nil // a variant has none of its own
	}
	s.varied.once.Do(func() {
		unknown := s.relevantUnknowns()
		if len(unknown) > maxUnknowns {
			s.varied.err = tooManyUnknowns(s.opts.Profile, len(unknown))
			return
		}
		spec := semanticsOf(SpecProfile(), nil)
		for combo := 1; combo < 1<<len(unknown); combo++ {
			assume := map[Behaviour]bool{}
			for i, b := range unknown {
				// the API text's value, flipped where combo says
				assume[b] = spec.value(b) != (combo&(1<<i) != 0)
			}
			opts := s.opts
			opts.assume = assume
			next, err := s.rebuild(s.objects, opts)
			if err != nil {
				s.varied.err = err
				return
			}
			s.varied.snaps = append(s.varied.snaps, next)
		}
	})
	return s.varied.snaps, s.varied.err
}

// settle says what an answer depends on: the profile it was judged
// under, and whether it is decided: again judges the same question on a
// variant, and an answer that differs there depends on the behaviours
// the variant assumes otherwise. On a plugin that enforces no policy the
// verdict is hypothetical; where that is unknown, a denial is undecided.
func (s *Snapshot) settle(ans *Answer, again func(*Snapshot) (*Answer, error)) error {
	p := s.opts.Profile
	ans.Profile = &p
	if s.opts.assume != nil {
		// A variant's answer is only compared with the snapshot's, by its
		// verdict: what it depends on is the snapshot's to say.
		return nil
	}
	vs, err := s.variants()
	if err != nil {
		return err
	}
	var differs []*Snapshot
	for _, v := range vs {
		a, err := again(v)
		if err != nil {
			return err
		}
		if a.Allowed != ans.Allowed || !a.AllowedPorts.Equal(ans.AllowedPorts) {
			differs = append(differs, v)
		}
	}
	for _, b := range s.dependsOn(differs) {
		if b == behaviourRunTime {
			ans.DependsOn = append(ans.DependsOn, s.runTimeReasons(ans.Source.ends, ans.Destination.ends)...)
			continue
		}
		ans.DependsOn = append(ans.DependsOn, b.Question())
	}
	s.settleUnevaluated(ans)
	switch p.Get(BehaviourEnforced) {
	case No:
		ans.Hypothetical = true
	case Unknown:
		if !ans.Allowed {
			ans.DependsOn = append(ans.DependsOn, BehaviourEnforced.Question())
		}
	}
	ans.Decided = len(ans.DependsOn) == 0
	return nil
}

// value is the semantics' value of one behaviour.
func (sem semantics) value(b Behaviour) bool {
	switch b {
	case BehaviourEnforced:
		return sem.enforced
	case BehaviourIsolateAll:
		return sem.isolateAll
	case BehaviourClusterPolicies:
		return sem.clusterPolicies
	case BehaviourIPBlockPodIPs:
		return sem.ipBlockPodIPs
	case BehaviourIPBlockNodeIPs:
		return sem.ipBlockNodeIPs
	case BehaviourSCTP:
		return sem.sctp
	case BehaviourEndPort:
		return sem.endPort
	case BehaviourNamedPortsIngress:
		return sem.namedIngress
	case BehaviourNamedPortsEgress:
		return sem.namedEgress
	case BehaviourHostNetworkSubjects:
		return sem.hostNetSubjects
	case BehaviourHostNetworkPeers:
		return sem.hostNetPeers
	case BehaviourNodeToPod:
		return sem.nodeToPod
	case behaviourRunTime:
		return sem.runTime
	}
	panic(fmt.Sprintf("query: behaviour %q has no value", b))
}

// dependsOn names the behaviours in which the variants whose answer
// differs from the snapshot's assume other than the snapshot: what the
// verdict depends on.
func (s *Snapshot) dependsOn(differs []*Snapshot) []Behaviour {
	seen := map[Behaviour]bool{}
	for _, v := range differs {
		for b, x := range v.opts.assume {
			if x != s.sem.value(b) {
				seen[b] = true
			}
		}
	}
	// A behaviour that alone changes the answer is what it depends on; if
	// only combinations do, all of them.
	var alone []Behaviour
	for _, v := range differs {
		var flipped []Behaviour
		for b, x := range v.opts.assume {
			if x != s.sem.value(b) {
				flipped = append(flipped, b)
			}
		}
		if len(flipped) == 1 {
			alone = append(alone, flipped[0])
		}
	}
	keys := slices.Collect(maps.Keys(seen))
	if len(alone) > 0 {
		keys = alone
	}
	var out []Behaviour
	for _, b := range judgedBehaviours {
		if slices.Contains(keys, b) && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}
