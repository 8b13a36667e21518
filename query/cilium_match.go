package query

import (
	"fmt"
	"k8s.io/apimachinery/pkg/labels"
	kselection "k8s.io/apimachinery/pkg/selection"
	"slices"
)

// How Cilium's peers match the other end of a flow (peer.go dispatches
// here): entities, toServices, CIDR rules, and the peers only known at run
// time.

// runTimeMatch is the answer for an end a peer may hold that only the
// dataplane knows: the snapshot takes it as no match for an Accept rule
// and as a match for a Deny rule (the fewest ports allowed), its run-time
// variant the other way (the most); an answer that differs between the two
// is undecided (variants.go).
func (s *Snapshot) runTimeMatch(action Action) miss {
	if (action == ActionDeny) != s.sem.runTime {
		return missNone
	}
	return missRunTime
}

// ciliumCIDRSees tells whether Cilium's CIDR rules may match this end:
// addresses outside the cluster always; pods and nodes only as
// policy-cidr-match-mode says, which the Cilium profile reads
// (BehaviourIPBlockPodIPs, BehaviourIPBlockNodeIPs); under any other
// profile Cilium's default (neither) holds.
func (s *Snapshot) ciliumCIDRSees(end flowEnd) miss {
	pods, nodes := false, false
	if s.sem.ciliumProfile {
		pods, nodes = s.sem.ipBlockPodIPs, s.sem.ipBlockNodeIPs
	}
	switch {
	case end.pod != nil && end.pod.HostNetwork, end.pod == nil && end.addr.IsValid() && s.nodeAddrs[end.addr]:
		if !nodes {
			return missCIDRNodeIPs
		}
	case end.pod != nil:
		if !pods {
			return missCIDRPodIPs
		}
	}
	return missNone
}

// matchEntity matches a Cilium entity (pkg/policy/api entity.go): all is
// every end; world the addresses outside the cluster; cluster every pod
// and node; host the subject's own node, remote-node the others (known
// only with the Node objects, or the pods' nodes); kube-apiserver's
// addresses are not known; health, init, ingress, unmanaged and none hold
// no end the snapshot has.
func (s *Snapshot) matchEntity(entity string, action Action, end flowEnd) miss {
	ce := s.ciliumEndOf(end)
	switch entity {
	case "all":
		return missNone
	case ciliumReservedWorld:
		if ce.world {
			return missNone
		}
	case "cluster", "cluster-mesh":
		if !ce.world {
			return missNone
		}
	case ciliumReservedHost, ciliumReservedRemote:
		switch {
		case ce.node && ce.nodeUnknown, ce.world && ce.nodeUnknown:
			return s.runTimeMatch(action)
		case ce.node:
			if _, ok := ce.id.lookup(ciliumSourceReserved, entity); ok {
				return missNone
			}
		}
	case ciliumReservedAPI:
		if !ce.pod {
			return s.runTimeMatch(action)
		}
	}
	return missEntity
}

// matchService matches a toServices peer: the pods a matching Service
// with a selector selects; a matching Service without one has backends
// only the dataplane knows; when no Service read matches, Cilium's
// behaviour depends on what it sees at run time.
func (s *Snapshot) matchService(pe *Peer, action Action, end flowEnd) miss {
	matched, unknown := false, false
	for ns, svcs := range s.services {
		if pe.svcNamespace != "" && ns != pe.svcNamespace {
			continue
		}
		for _, svc := range svcs {
			if pe.svcName != "" && svc.Name != pe.svcName || pe.svcSelector != nil && !pe.svcSelector.Matches(labels.Set(svc.Labels)) {
				continue
			}
			matched = true
			if len(svc.Selector) == 0 {
				unknown = true
				continue
			}
			if end.pod == nil || end.pod.HostNetwork || end.pod.Namespace != svc.Namespace {
				continue
			}
			cs := ciliumSelector{reqs: []ciliumRequirement{{source: ciliumSourceK8s, key: ciliumNamespaceName, op: kselection.Equals, values: []string{svc.Namespace}}}}
			for k, v := range svc.Selector {
				cs.reqs = append(cs.reqs, ciliumRequirement{source: ciliumSourceK8s, key: k, op: kselection.Equals, values: []string{v}})
			}
			if cs.matches(s.ciliumPodIdentity(end.pod)) {
				return missNone
			}
		}
	}
	switch {
	case !matched:
		return s.runTimeMatch(action)
	case unknown && end.pod == nil:
		return s.runTimeMatch(action)
	}
	return missNotBackend
}

// namespace is the namespace a selector confines its pods to, when it
// names one.
func (cs *ciliumSelector) namespace() (string, bool) {
	for _, r := range cs.reqs {
		if r.key == ciliumNamespaceName && (r.source == ciliumSourceK8s || r.source == ciliumSourceAny) && r.op == kselection.Equals {
			return r.values[0], true
		}
	}
	return "", false
}

// runTimeReasons names the peers known only at run time that judge flows
// from srcs to dsts (the sources' egress, the destinations' ingress): each
// peer whose answer for the other end is known only at run time, and each
// rule needing mutual authentication whose peers match it.
func (s *Snapshot) runTimeReasons(srcs, dsts []flowEnd) []string {
	var out []string
	add := func(p *Policy, path, why string) {
		line := fmt.Sprintf("%s %s: %s", p.key(), path, why)
		if !slices.Contains(out, line) {
			out = append(out, line)
		}
	}
	for _, side := range []struct {
		d                Direction
		subjects, others []flowEnd
	}{{Egress, srcs, dsts}, {Ingress, dsts, srcs}} {
		for _, sub := range side.subjects {
			if sub.pod == nil {
				continue
			}
			for p := range s.judging(stageNetworkPolicy, side.d, sub.pod) {
				for i := range p.rules(side.d) {
					r := &p.rules(side.d)[i]
					for _, other := range side.others {
						end := other.seenFrom(sub.pod)
						if r.authRequired != "" && (r.anyPeer || s.firstPeer(r, end) >= 0) {
							add(p, r.path, "allowed only once mutual authentication ("+r.authRequired+") succeeds at run time")
						}
						for j := range r.peers {
							pe := &r.peers[j]
							if s.matchPeer(pe, ActionAccept, end) == missRunTime {
								add(p, pe.path, pe.runTimeWhy())
							}
						}
					}
				}
			}
		}
	}
	if len(out) == 0 {
		out = append(out, behaviourRunTime.Question())
	}
	return out
}

// runTimeWhy says why a peer's members are known only at run time; "" for
// one the snapshot knows.
func (pe *Peer) runTimeWhy() string {
	switch {
	case pe.kind == peerRunTime:
		return pe.runTime
	case pe.kind == peerCiliumService:
		return "the backends of " + pe.text + " are known only from the Services and endpoints Cilium sees at run time"
	case pe.kind == peerCiliumEntity && pe.entity == ciliumReservedAPI:
		return "the API server's addresses are not among the objects read"
	case pe.relative():
		return "whether this end is the pod's own node, another node or neither is not known without the Node objects and the pods' nodes"
	}
	return "whether it matches is known only at run time"
}
