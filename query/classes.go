package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Class is a set of pods that every policy treats alike: same namespace,
// labels and declared ports, the same answer from every ipBlock peer of
// every policy and from every network cluster policies name, and (for
// host-network pods) the same node. Reachability over many pods is computed per class pair and
// never per pod pair.
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
	var blocks []*Peer
	seen := map[string]bool{}
	for _, ns := range s.Namespaces() {
		for _, p := range s.policies[ns.Name] {
			for _, rules := range [][]Rule{p.Ingress, p.Egress} {
				for i := range rules {
					for j := range rules[i].Peers {
						pe := &rules[i].Peers[j]
						if pe.Kind != PeerIPBlock {
							continue
						}
						if k := blockKey(pe); !seen[k] {
							seen[k] = true
							blocks = append(blocks, pe)
						}
					}
				}
			}
		}
	}
	var nets []netip.Prefix
	// Cluster policy networks match pod IPs, and nodes peers a
	// host-network pod's node address.
	for _, c := range s.cluster {
		for _, r := range c.Egress {
			for j := range r.Peers {
				for _, n := range r.Peers[j].Networks {
					if k := "net " + n.String(); !seen[k] {
						seen[k] = true
						nets = append(nets, n)
					}
				}
			}
		}
	}
	byKey := map[string]*Class{}
	s.classOf = map[*Pod]*Class{}
	for _, p := range s.pods {
		k := s.classKey(p, blocks, nets)
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

// blockKey names an ipBlock by its CIDR and excepts.
func blockKey(pe *Peer) string {
	var b strings.Builder
	b.WriteString(pe.CIDR.String())
	for _, ex := range pe.Except {
		b.WriteByte(' ')
		b.WriteString(ex.String())
	}
	return b.String()
}

// classKey is what decides how policies treat a pod.
func (s *Snapshot) classKey(p *Pod, blocks []*Peer, nets []netip.Prefix) string {
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
	for _, pe := range blocks {
		if s.ipBlockMatch(pe, end) == missNone {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	b.WriteByte('|')
	for _, n := range nets {
		if end.addr.IsValid() && n.Contains(end.addr) {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	if p.HostNetwork {
		b.WriteString("|host")
		for _, n := range s.nodes {
			if end.addr.IsValid() && slices.Contains(n.Addrs, end.addr) {
				b.WriteString("|node " + n.Name)
			}
		}
	}
	return b.String()
}
