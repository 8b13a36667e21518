package query

import (
	"fmt"
	"slices"
)

// Ambiguity in answers over many flows. "can" reports each ambiguous port
// of its pairs (pairAmbiguities); map, explain and diff ask the functions
// here, which use the same walk over class representatives, so that an
// edge is marked ambiguous exactly where "can" would answer AMBIGUOUS.

// hasTies reports whether two cluster policies share a tier and a
// priority: only then can a verdict be ambiguous, and only then is it
// worth looking.
func (s *Snapshot) hasTies() bool {
	seen := map[string]bool{}
	for _, c := range s.cluster {
		k := fmt.Sprintf("%s/%d", c.tier, c.priority)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// flowAmbiguity is the ports of one flow, over all ports, that cluster
// policies of equal tier and priority judge differently in either half.
func (s *Snapshot) flowAmbiguity(src, dst flowEnd) PortSet {
	var out PortSet
	for _, a := range s.pairAmbiguities(src, dst, portAsk{scope: AllPorts()}) {
		out = out.Union(a.Ports)
	}
	return out
}

// unitAmbiguity is the ports some pod pair of srcs -> dsts is ambiguous
// on. Pods of one class behave alike, so one pair of distinct pods per
// class pair is asked: the cost follows classes, not pods squared.
func (s *Snapshot) unitAmbiguity(srcs, dsts []*Pod) PortSet {
	if !s.ties {
		return PortSet{}
	}
	s.Classes()
	return s.classedAmbiguity(s.twoPerClass(srcs), s.twoPerClass(dsts))
}

// classedAmbiguity is unitAmbiguity for pods kept up to two per class
// (twoPerClass).
func (s *Snapshot) classedAmbiguity(a, b [][]*Pod) PortSet {
	if !s.ties {
		return PortSet{}
	}
	var out PortSet
	for _, as := range a {
		for _, bs := range b {
			if src, dst, ok := distinctPair(as, bs); ok {
				out = out.Union(s.flowAmbiguity(podEnd(src), podEnd(dst)))
			}
		}
	}
	return out
}

// twoPerClass keeps up to two pods of each class of pods, in order. The
// pods of a workload are of a few classes, most often one: a few are
// looked up in a slice, more in a map.
func (s *Snapshot) twoPerClass(pods []*Pod) [][]*Pod {
	var out [][]*Pod
	var classes []*Class
	var many map[*Class]int
	for _, p := range pods {
		c := s.classOf[p]
		i := -1
		if many != nil {
			if j, ok := many[c]; ok {
				i = j
			}
		} else {
			i = slices.Index(classes, c)
		}
		switch {
		case i < 0:
			classes = append(classes, c)
			out = append(out, []*Pod{p})
			if many != nil {
				many[c] = len(out) - 1
			} else if len(classes) > 8 {
				many = make(map[*Class]int, 2*len(classes))
				for j, k := range classes {
					many[k] = j
				}
			}
		case len(out[i]) < 2:
			out[i] = append(out[i], p)
		}
	}
	return out
}

// distinctPair picks a source and a destination that are not one pod.
func distinctPair(srcs, dsts []*Pod) (*Pod, *Pod, bool) {
	for _, a := range srcs {
		for _, b := range dsts {
			if a != b {
				return a, b, true
			}
		}
	}
	return nil, nil, false
}

// regionAmbiguity is the ports some pod of pods is ambiguous on towards
// (egress) or from (ingress) an address outside the cluster, one pod per
// class.
func (s *Snapshot) regionAmbiguity(addr flowEnd, pods []*Pod, d Direction) PortSet {
	if !s.ties {
		return PortSet{}
	}
	s.Classes()
	var out PortSet
	for _, same := range s.twoPerClass(pods) {
		p := same[0]
		if d == Ingress {
			out = out.Union(s.flowAmbiguity(addr, podEnd(p)))
		} else {
			out = out.Union(s.flowAmbiguity(podEnd(p), addr))
		}
	}
	return out
}

// nonEmpty is p, or nil when p is empty, for optional fields.
func nonEmpty(p PortSet) *PortSet {
	if p.IsEmpty() {
		return nil
	}
	return &p
}
