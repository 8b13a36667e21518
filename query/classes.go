package query

import (
	"fmt"
	"slices"
	"strings"
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
}

// Classes returns the equivalence classes of the snapshot's pods, in pod
// order of their first member.
func (s *Snapshot) Classes() []*Class {
	if s.classes != nil {
		return s.classes
	}
	// The peers whose answer depends on a pod's address or node, each
	// once: ipBlocks, networks, nodes.
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
	// The keys on every core (classKey only reads the snapshot), then the
	// classes in pod order.
	keys := make([]string, len(s.pods))
	parallelFor(len(s.pods), func(i int) { keys[i] = s.classKey(s.pods[i], byAddr) })
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

// classKey is what decides how policies treat a pod.
func (s *Snapshot) classKey(p *Pod, byAddr []*Peer) string {
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
	end := podEnd(p)
	for _, pe := range byAddr {
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
