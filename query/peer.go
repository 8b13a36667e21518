package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// The one peer matcher. Every analysis asks matchPeer (or firstPeer, its
// indexed form over a rule's peers) whether a peer entry matches the other
// end of a flow: the traced answer of "can", the class bitsets of the map,
// explain's lists of matched workloads and audit's checks. A new peer kind
// is a new peerKind with its cases here; peerKinds lists them all, and
// TestEveryPeerKindIsMatched fails for one this file does not handle.

// peerKind says which shape of peer the user wrote.
type peerKind string

// The peer kinds. peerPodAndNamespace is a NetworkPolicy entry with both
// selectors (AND), which differs from two entries (OR) by one "-"; a
// cluster policy's pods peer is the same shape, its namespaces peer is
// PeerNamespaces.
const (
	peerPods            peerKind = "podSelector"
	peerNamespaces      peerKind = "namespaceSelector"
	peerPodAndNamespace peerKind = "namespaceSelector+podSelector"
	peerIPBlock         peerKind = "ipBlock"
	peerNetworks        peerKind = "networks"
	peerNodes           peerKind = "nodes"
	peerDomainNames     peerKind = "domainNames"
	// Cilium's peers (cilium.go): endpoint selectors, CIDRs (fromCIDR,
	// fromCIDRSet), entities, toServices, and the peers only the dataplane
	// knows the members of at run time (toFQDNs, toGroups, a CIDR group
	// not read).
	peerCiliumEndpoints peerKind = "endpoints"
	peerCiliumCIDR      peerKind = "cidr"
	peerCiliumEntity    peerKind = "entity"
	peerCiliumService   peerKind = "service"
	peerRunTime         peerKind = "run-time"
)

// peerKinds are every peer kind, for the tests that check each is handled.
var peerKinds = []peerKind{peerPods, peerNamespaces, peerPodAndNamespace, peerIPBlock, peerNetworks, peerNodes, peerDomainNames,
	peerCiliumEndpoints, peerCiliumCIDR, peerCiliumEntity, peerCiliumService, peerRunTime}

// Peer is one entry of a rule's from/to list.
type Peer struct {
	path string
	kind peerKind
	// PodSelector and NamespaceSelector are the selectors in selector
	// syntax ("" is the empty selector, which matches everything).
	podSelector       string
	namespaceSelector string
	// CIDR and Except are an ipBlock's; Networks the ranges an address
	// peer matches (an ipBlock's CIDR, or a networks peer's list).
	cidr     netip.Prefix
	except   []netip.Prefix
	networks []netip.Prefix
	domains  []string
	// Text is the peer in words.
	text string

	// sel picks the pods of a selector peer; nodeSel the nodes of a nodes
	// peer.
	sel     selector
	nodeSel labels.Selector

	// ciliumSel is a Cilium endpoint selector; entity a Cilium entity;
	// svcName, svcNamespace and svcSelector name the Services of a
	// toServices peer (an empty namespace is any).
	ciliumSel    *ciliumSelector
	entity       string
	svcName      string
	svcNamespace string
	svcSelector  labels.Selector
	// runTime says why a run-time peer's members are not known.
	runTime string
}

// isAddress tells whether the peer matches by address alone, so that a
// rule's address index answers for it.
func (pe *Peer) isAddress() bool {
	return pe.kind == peerIPBlock || pe.kind == peerNetworks || pe.kind == peerCiliumCIDR
}

// relative tells whether the peer's answer for a node's address or a
// host-network pod depends on the subject's node (Cilium's host and
// remote-node identities).
func (pe *Peer) relative() bool {
	switch pe.kind {
	case peerCiliumEntity:
		return pe.entity == ciliumReservedHost || pe.entity == ciliumReservedRemote
	case peerCiliumEndpoints:
		return pe.ciliumSel.hasSource(ciliumSourceReserved)
	}
	return false
}

// miss says why a peer did not match; missNone means it matched.
type miss int

const (
	missNone miss = iota
	missOutside
	missOtherNamespace
	missNamespaceLabels
	missPodLabels
	missHostNetwork
	missOtherNode
	missPodIPsOff
	missNodeIPsOff
	missRangeOutside
	missRangeExcept
	missNoIP
	missNotInCIDR
	missExcept
	missNoNode
	missDomain
	missNotEndpoint
	missCiliumLabels
	missCIDRPodIPs
	missCIDRNodeIPs
	missEntity
	missNoService
	missNotBackend
	// missRunTime: the peer may hold the end, which only the dataplane
	// knows at run time; the snapshot's reading takes it as no match for
	// an Accept rule and as a match for a Deny rule, its run-time variant
	// the other way (variants.go).
	missRunTime
)

// matchPeer tells whether one peer entry of a rule with the given action
// matches the other end of the flow. It is the hot path: no strings are
// built.
func (s *Snapshot) matchPeer(pe *Peer, action Action, end flowEnd) miss {
	switch pe.kind {
	case peerPods, peerNamespaces, peerPodAndNamespace:
		if end.pod == nil {
			return missOutside
		}
		return pe.sel.match(s, end.pod)
	case peerIPBlock:
		if m := s.ipBlocksSee(end); m != missNone {
			return m
		}
		return matchAddress(pe.networks, pe.except, action, end)
	case peerNetworks:
		return matchAddress(pe.networks, nil, action, end)
	case peerNodes:
		if !end.addr.IsValid() {
			return missNoNode
		}
		for _, n := range s.nodes {
			if slices.Contains(n.addrs, end.addr) && pe.nodeSel.Matches(n.labels) {
				return missNone
			}
		}
		return missNoNode
	case peerDomainNames:
		// Domain names are resolved by the dataplane at run time; offline
		// they match nothing (the trace notes it).
		return missDomain
	case peerCiliumEndpoints:
		ce := s.ciliumEndOf(end)
		if ce.node && ce.nodeUnknown && pe.relative() {
			return s.runTimeMatch(action)
		}
		if pe.ciliumSel.matches(ce.id) {
			return missNone
		}
		return missCiliumLabels
	case peerCiliumCIDR:
		if m := s.ciliumCIDRSees(end); m != missNone {
			return m
		}
		return matchAddress(pe.networks, pe.except, action, end)
	case peerCiliumEntity:
		return s.matchEntity(pe.entity, action, end)
	case peerCiliumService:
		return s.matchService(pe, action, end)
	case peerRunTime:
		if end.pod != nil && !end.pod.HostNetwork {
			return missEntity // pods keep their own identity
		}
		return s.runTimeMatch(action)
	}
	panic(fmt.Sprintf("query: peer kind %q has no matcher", pe.kind))
}

// ipBlocksSee tells whether ipBlock peers may match this end at all on
// the network plugin: a pod's IP, a node's address (a host-network pod's
// too), or an address outside the cluster, which they always may.
func (s *Snapshot) ipBlocksSee(end flowEnd) miss {
	switch {
	case end.pod != nil && end.pod.HostNetwork:
		if !s.sem.ipBlockNodeIPs {
			return missNodeIPsOff
		}
	case end.pod != nil:
		if !s.sem.ipBlockPodIPs {
			return missPodIPsOff
		}
	case end.addr.IsValid() && s.nodeAddrs[end.addr]:
		if !s.sem.ipBlockNodeIPs {
			return missNodeIPsOff
		}
	}
	return missNone
}

// matchAddress matches an address, or a range, against networks minus
// excepts. A range matches a Deny rule when it overlaps what the peer
// holds, and other rules only when it lies wholly inside, so that a range
// is never answered allowed for addresses a rule denies.
func matchAddress(networks, except []netip.Prefix, action Action, end flowEnd) miss {
	if r := end.cidr; r.IsValid() {
		for _, n := range networks {
			switch {
			case action == ActionDeny && n.Overlaps(r) && !slices.ContainsFunc(except, func(ex netip.Prefix) bool { return ex.Bits() <= r.Bits() && ex.Contains(r.Addr()) }):
				return missNone
			case action != ActionDeny && n.Bits() <= r.Bits() && n.Contains(r.Addr()):
				if slices.ContainsFunc(except, r.Overlaps) {
					return missRangeExcept
				}
				return missNone
			}
		}
		return missRangeOutside
	}
	if !end.addr.IsValid() {
		return missNoIP
	}
	for _, n := range networks {
		if n.Contains(end.addr) {
			if slices.ContainsFunc(except, func(ex netip.Prefix) bool { return ex.Contains(end.addr) }) {
				return missExcept
			}
			return missNone
		}
	}
	return missNotInCIDR
}

// firstPeer is the index of the first peer of r that matches the other end
// of the flow, or -1. It is matchPeer over the peers in order, with the
// address peers answered by the rule's index: an address outside the
// cluster needs no walk at all (unless a nodes peer may hold it), a pod
// only one over the selector peers before the first address peer that
// holds its IP. Ranges need the walk: Deny rules match ranges that overlap.
func (s *Snapshot) firstPeer(r *Rule, end flowEnd) int {
	indexed := !end.cidr.IsValid() && (!r.ipBlocks || s.ipBlocksSee(end) == missNone) && (!r.ciliumCIDRs || s.ciliumCIDRSees(end) == missNone)
	limit := len(r.peers)
	if indexed {
		b := r.addrs.first(end.addr)
		if end.pod == nil && !r.walkAddrs {
			return b
		}
		if b >= 0 {
			limit = b
		}
	}
	for i := range limit {
		pe := &r.peers[i]
		if indexed && pe.isAddress() {
			continue // the index answered
		}
		if s.matchPeer(pe, r.action, end) == missNone {
			return i
		}
	}
	if limit < len(r.peers) {
		return limit
	}
	return -1
}

// matchesPeer tells whether the rule matches the other end of the flow:
// it matches any peer, fails closed as Deny all, or some peer matches (and
// the mutual authentication it requires succeeds, which only the run-time
// reading assumes).
func (s *Snapshot) matchesPeer(r *Rule, end flowEnd) bool {
	if r.authRequired != "" && !s.sem.runTime {
		return false
	}
	return r.anyPeer || r.denyAll || s.firstPeer(r, end) >= 0
}

// namespacesOfPeer are the namespaces whose pods a peer may match, in no
// particular order, for the paths that enumerate pods; all is set for
// peers that match pods of any namespace by address.
func (s *Snapshot) namespacesOfPeer(pe *Peer) (names []string, all bool) {
	switch pe.kind {
	case peerPods, peerNamespaces, peerPodAndNamespace:
		if ns := pe.sel.namespace; ns != "" {
			if _, ok := s.namespaces[ns]; ok {
				return []string{ns}, false
			}
			return nil, false
		}
		for name := range s.namespaces {
			if pe.sel.matchNamespace(s, name) == missNone {
				names = append(names, name)
			}
		}
		return names, false
	case peerIPBlock, peerNetworks, peerNodes, peerCiliumCIDR, peerCiliumEntity, peerCiliumService, peerRunTime:
		return nil, true
	case peerDomainNames:
		return nil, false
	case peerCiliumEndpoints:
		if ns, ok := pe.ciliumSel.namespace(); ok {
			if _, known := s.namespaces[ns]; known {
				return []string{ns}, false
			}
			return nil, false
		}
		return nil, true
	}
	panic(fmt.Sprintf("query: peer kind %q has no namespaces", pe.kind))
}

// peerPrefixes are the address ranges a peer names outside the cluster:
// what cuts the world into regions that every peer treats alike.
func (s *Snapshot) peerPrefixes(pe *Peer) []netip.Prefix {
	switch pe.kind {
	case peerIPBlock:
		return append([]netip.Prefix{pe.cidr}, pe.except...)
	case peerNetworks:
		return pe.networks
	case peerCiliumCIDR:
		return append(slices.Clone(pe.networks), pe.except...)
	case peerNodes:
		var out []netip.Prefix
		for _, n := range s.nodes {
			for _, a := range n.addrs {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
		}
		return out
	case peerPods, peerNamespaces, peerPodAndNamespace, peerDomainNames,
		peerCiliumEndpoints, peerCiliumEntity, peerCiliumService, peerRunTime:
		return nil
	}
	panic(fmt.Sprintf("query: peer kind %q has no prefixes", pe.kind))
}

// byAddress tells whether the peer's answer for a pod depends on the pod's
// address (or node), not only its namespace and labels: such peers split
// pods into classes.
func (pe *Peer) byAddress() bool {
	switch pe.kind {
	case peerIPBlock, peerNetworks, peerNodes, peerCiliumCIDR:
		return true
	case peerPods, peerNamespaces, peerPodAndNamespace, peerDomainNames,
		peerCiliumEndpoints, peerCiliumEntity, peerCiliumService, peerRunTime:
		return false
	}
	panic(fmt.Sprintf("query: peer kind %q is not classified", pe.kind))
}

// missReason renders why a peer did not match, for traces.
func (s *Snapshot) missReason(m miss, pe *Peer, end flowEnd) string {
	switch m {
	case missOutside:
		return fmt.Sprintf("%s is outside the cluster; only ipBlock peers match it", end)
	case missOtherNamespace:
		return fmt.Sprintf("podSelector alone selects pods in the policy's namespace %s only; the pod is in %s", pe.sel.namespace, end.pod.Namespace)
	case missNamespaceLabels:
		return fmt.Sprintf("namespace %s labels {%s} do not match namespaceSelector {%s}", end.pod.Namespace, s.namespaces[end.pod.Namespace].Labels, pe.namespaceSelector)
	case missPodLabels:
		return fmt.Sprintf("pod labels {%s} do not match podSelector {%s}", end.pod.Labels, pe.podSelector)
	case missOtherNode:
		return "the pod is not a host-network pod on the destination's node"
	case missHostNetwork:
		return "the pod uses the node's network, which cluster policy peers never select"
	case missPodIPsOff:
		return "ipBlock does not match pod IPs on this network plugin (or with --ipblock-pod-ips=false), and this end is a pod"
	case missNodeIPsOff:
		return "ipBlock does not match node addresses on this network plugin, and this end is a node's address"
	case missRangeOutside:
		return fmt.Sprintf("%s is not entirely inside %s", end.cidr, networksText(pe))
	case missRangeExcept:
		for _, ex := range pe.except {
			if ex.Overlaps(end.cidr) {
				return fmt.Sprintf("%s overlaps except %s", end.cidr, ex)
			}
		}
	case missNoIP:
		return "the pod's IP is not known (no status.podIP), so no ipBlock can match it"
	case missNotInCIDR:
		return fmt.Sprintf("%s is not in %s", end.addr, networksText(pe))
	case missExcept:
		for _, ex := range pe.except {
			if ex.Contains(end.addr) {
				return fmt.Sprintf("%s is in %s but excluded by except %s", end.addr, pe.cidr, ex)
			}
		}
	case missNoNode:
		return fmt.Sprintf("%s is not the address of a node the selector matches", end)
	case missDomain:
		return "domain names are resolved at run time and cannot be judged offline"
	case missNotEndpoint:
		return "the pod uses the node's network: it is not a Cilium endpoint, and Cilium policies select only endpoints"
	case missCiliumLabels:
		return fmt.Sprintf("identity %s does not match {%s}", s.ciliumEndOf(end).id, pe.ciliumSel)
	case missCIDRPodIPs:
		return "Cilium's CIDR rules do not match pod IPs (policy-cidr-match-mode does not include pods), and this end is a pod"
	case missCIDRNodeIPs:
		return "Cilium's CIDR rules do not match nodes (policy-cidr-match-mode does not include nodes), and this end is a node"
	case missEntity:
		return fmt.Sprintf("%s is not in %s", s.ciliumEndOf(end).id, pe.text)
	case missNoService:
		return fmt.Sprintf("no Service read matches %s", pe.text)
	case missNotBackend:
		return fmt.Sprintf("%s is not selected by %s", end, pe.text)
	case missRunTime:
		if pe.runTime != "" {
			return pe.runTime
		}
		return "whether it matches is known only at run time"
	}
	return ""
}

func networksText(pe *Peer) string {
	if pe.kind == peerIPBlock {
		return pe.cidr.String()
	}
	parts := make([]string, len(pe.networks))
	for i, n := range pe.networks {
		parts[i] = n.String()
	}
	return strings.Join(parts, ",")
}

// podsMatched lists the pods a peer matches, in namespace order, and the
// namespaces whose pods it may match (by selector).
func (s *Snapshot) podsMatched(pe *Peer, action Action) (pods []*Pod, namespaces []string) {
	names, all := s.namespacesOfPeer(pe)
	if all {
		for _, p := range s.pods {
			if s.matchPeer(pe, action, podEnd(p)) == missNone {
				pods = append(pods, p)
			}
		}
		return pods, nil
	}
	slices.Sort(names)
	for _, ns := range names {
		for _, p := range s.podsByNS[ns] {
			if s.matchPeer(pe, action, podEnd(p)) == missNone {
				pods = append(pods, p)
			}
		}
	}
	return pods, names
}

// index builds what the rule needs to be matched fast, once its peers and
// ports are compiled: the compiled ports, the address index and the flags
// firstPeer reads.
func (r *Rule) index() {
	r.compiled = compilePorts(r.ports)
	var entries []addrEntry
	for i := range r.peers {
		pe := &r.peers[i]
		switch {
		case pe.isAddress():
			for _, n := range pe.networks {
				entries = append(entries, addrEntry{prefix: n, set: i})
			}
			for _, ex := range pe.except {
				entries = append(entries, addrEntry{prefix: ex, set: i, except: true})
			}
		case pe.kind == peerNodes, pe.kind == peerCiliumEntity, pe.kind == peerCiliumService, pe.kind == peerRunTime,
			pe.kind == peerCiliumEndpoints && pe.relative():
			r.walkAddrs = true
		}
		r.ipBlocks = r.ipBlocks || pe.kind == peerIPBlock
		r.ciliumCIDRs = r.ciliumCIDRs || pe.kind == peerCiliumCIDR
	}
	if len(entries) > 0 {
		r.addrs = newAddrIndex(len(r.peers), entries)
	}
}
