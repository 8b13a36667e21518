package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// Class is a set of pods that every policy treats alike: same namespace,
// labels and declared ports, whether they use the node's network, and the
// same answer from every peer that matches by address or node (ipBlock,
// networks, nodes). Reachability over many pods is computed per class
// pair and never per pod pair.
type Class struct {
	// Rep is the pod evaluated for the whole class.
	Rep  *Pod
	Pods []*Pod
	// allowList are the policies of the allow-list stage that judge the
	// class's pods, per direction, once known (allowListPolicies).
	allowList [2]atomic.Pointer[[]*Policy]
}

// Classes returns the equivalence classes of the snapshot's pods, in pod
// order of their first member.
func (s *Snapshot) Classes() []*Class {
	if s.classes != nil {
		return s.classes
	}
	byAddr := s.addressPeers()
	// The keys on every core (classKey only reads the snapshot), then the
	// classes in pod order.
	keys := make([]string, len(s.pods))
	// The range peers' answers, one byte per peer, are the same for
	// many pods: each pod's key holds the number of its answer, not the
	// answer (thousands of bytes with thousands of ipBlocks).
	rangeIDs, _ := s.rangeMatches(byAddr)
	var others []*Peer // the peers of byAddr that are not range peers, in order
	for _, pe := range byAddr {
		if !rangePeer(pe) {
			others = append(others, pe)
		}
	}
	parallelFor(len(s.pods), func(i int) { keys[i] = s.classKey(s.pods[i], others, rangeIDs[i]) })
	byKey := map[string]*Class{}
	s.classOf = make(map[*Pod]*Class, len(s.pods))
	for i, p := range s.pods {
		k := keys[i]
		c, ok := byKey[k]
		if !ok {
			c = &Class{Rep: p}
			byKey[k] = c
			s.classes = append(s.classes, c)
		}
		c.Pods = append(c.Pods, p)
		s.classOf[p] = c
	}
	return s.classes
}

// addressPeers is the peers whose answer depends on a pod's address or
// node, each once: ipBlocks, networks, CIDRs, nodes.
func (s *Snapshot) addressPeers() []*Peer {
	var byAddr []*Peer
	seen := map[string]bool{}
	for p := range s.allPolicies() {
		for _, rules := range [][]Rule{p.ingress, p.egress} {
			for i := range rules {
				for j := range rules[i].peers {
					pe := &rules[i].peers[j]
					if k := string(pe.kind) + " " + pe.text; pe.byAddress() && !seen[k] {
						seen[k] = true
						byAddr = append(byAddr, pe)
					}
				}
			}
		}
	}
	return byAddr
}

// rangePeer tells the peers that match a pod by its address alone, given
// whether it uses the node's network: ipBlock, networks and CIDR peers
// (matchPeer).
func rangePeer(pe *Peer) bool {
	switch pe.kind {
	case peerIPBlock, peerNetworks, peerCiliumCIDR:
		return true
	}
	return false
}

// rangeMatches is how the range peers of byAddr answer each pod: pod i
// gets answers[ids[i]], pods answered alike the same number. An answer
// has '1' where a peer matches, '0' where not, and '-' in the place of
// the others. Those peers are tried once per stretch of addresses in
// which none of their ranges starts or ends, and per use of the node's
// network, on the first pod found there: at 50,000 pods and thousands of
// ipBlocks, trying each on every pod was most of the classes' cost.
func (s *Snapshot) rangeMatches(byAddr []*Peer) (ids []int, answers []string) {
	var bounds []netip.Addr
	for _, pe := range byAddr {
		if !rangePeer(pe) {
			continue
		}
		for _, n := range slices.Concat(pe.networks, pe.except) {
			bounds = append(bounds, n.Masked().Addr())
			if last, ok := lastAddr(n); ok && last.Next().IsValid() {
				bounds = append(bounds, last.Next())
			}
		}
	}
	slices.SortFunc(bounds, netip.Addr.Compare)
	bounds = slices.Compact(bounds)
	// A stretch is the number of bounds at or below the pod's address;
	// pods without one, or with a zone, which no prefix contains, are
	// each their own.
	type stretch struct {
		at   int
		host bool
	}
	groups := map[stretch]int{} // the first pod of each stretch
	of := make([]stretch, len(s.pods))
	for i, p := range s.pods {
		a := podEnd(p).addr
		st := stretch{at: -1 - i, host: p.HostNetwork}
		if a.IsValid() && a.Zone() == "" {
			n, found := slices.BinarySearchFunc(bounds, a, netip.Addr.Compare)
			if found {
				n++
			}
			st.at = n
		}
		of[i] = st
		if _, ok := groups[st]; !ok {
			groups[st] = i
		}
	}
	byStretch := map[stretch]string{}
	for st, i := range groups {
		b := make([]byte, len(byAddr))
		end := podEnd(s.pods[i])
		for j, pe := range byAddr {
			switch {
			case !rangePeer(pe):
				b[j] = '-'
			case s.matchPeer(pe, ActionAccept, end) == missNone:
				b[j] = '1'
			default:
				b[j] = '0'
			}
		}
		byStretch[st] = string(b)
	}
	// Answers numbered in pod order; stretches answered alike share one.
	idOf := map[stretch]int{}
	number := map[string]int{}
	ids = make([]int, len(s.pods))
	for i, st := range of {
		id, ok := idOf[st]
		if !ok {
			a := byStretch[st]
			if id, ok = number[a]; !ok {
				id = len(answers)
				answers = append(answers, a)
				number[a] = id
			}
			idOf[st] = id
		}
		ids[i] = id
	}
	return ids, answers
}

// classKey is what decides how policies treat a pod. ranges numbers how
// the range peers of the snapshot's address peers answer it
// (rangeMatches), others are the other address peers, which are asked.
func (s *Snapshot) classKey(p *Pod, others []*Peer, ranges int) string {
	var b strings.Builder
	b.WriteString(p.Namespace)
	b.WriteByte('|')
	b.WriteString(p.Labels.String())
	b.WriteByte('|')
	ports := make([]string, len(p.Ports))
	for i, cp := range p.Ports {
		ports[i] = fmt.Sprintf("%s/%s/%d", cp.Name, cp.Protocol, cp.Port)
	}
	slices.Sort(ports)
	b.WriteString(strings.Join(ports, ","))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(ranges))
	b.WriteByte('|')
	end := podEnd(p)
	for _, pe := range others {
		if s.matchPeer(pe, ActionAccept, end) == missNone {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	if p.HostNetwork {
		b.WriteString("|host")
	}
	if s.nodeRelative {
		// Cilium's host and remote-node peers tell the pod's own node
		// from the others.
		b.WriteString("|on " + p.NodeName)
	}
	if s.ciliumIDs != nil {
		b.WriteString("|sa " + p.ServiceAccount)
	}
	if s.hasNodeLocal(p.NodeName) {
		// The node's own traffic reaches only its pods.
		b.WriteString("|node " + p.NodeName)
	}
	return b.String()
}
