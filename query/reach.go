package query

import "slices"

// Reachability over many pods, from the untraced evaluation of pod pairs
// (allowedPorts): what every and what some pair may use.

// unitPorts is the reachability from one group of pods to another, computed
// per equivalence-class pair: the ports every pod pair may use (all) and
// the ports some pair may use (some).
func (s *Snapshot) unitPorts(srcs, dsts []*Pod) (all, some PortSet) {
	s.Classes()
	var agg portAgg
	var seen classPairs
	for _, src := range srcs {
		for _, dst := range dsts {
			if src == dst {
				continue // a pod to itself says nothing about policy
			}
			cs, cd := s.classOf[src], s.classOf[dst]
			if !seen.add(cs, cd) {
				continue
			}
			a, b := cs.Rep, cd.Rep
			if a == b {
				b = cd.Pods[1] // two distinct pods of one class
			}
			agg.add(s.allowedPorts(podEnd(a), podEnd(b)))
		}
	}
	return agg.all, agg.some
}

// classPairs is a set of class pairs: a few in a slice, as most unit
// pairs are (diff asks for hundreds of thousands), more in a map.
type classPairs struct {
	few  [][2]*Class
	many map[[2]*Class]bool
}

// add adds a pair and reports whether it was new.
func (c *classPairs) add(a, b *Class) bool {
	k := [2]*Class{a, b}
	if c.many == nil {
		if slices.Contains(c.few, k) {
			return false
		}
		if len(c.few) < 16 {
			c.few = append(c.few, k)
			return true
		}
		c.many = make(map[[2]*Class]bool, 32)
		for _, p := range c.few {
			c.many[p] = true
		}
	}
	if c.many[k] {
		return false
	}
	c.many[k] = true
	return true
}

// portAgg gathers the ports of many pod pairs: those every pair may use
// (all) and those some pair may use (some).
type portAgg struct {
	all, some PortSet
	n         int
}

func (a *portAgg) add(p PortSet) {
	a.some = a.some.Union(p)
	if a.n == 0 {
		a.all = p
	} else {
		a.all = a.all.Intersect(p)
	}
	a.n++
}

// regionPorts is the ports every pod (all) and some pod (some) may use to
// (egress) or from (ingress) an address outside the cluster.
func (s *Snapshot) regionPorts(addr flowEnd, pods []*Pod, d Direction) (all, some PortSet) {
	var agg portAgg
	for _, p := range pods {
		if d == Ingress {
			agg.add(s.allowedPorts(addr, podEnd(p)))
		} else {
			agg.add(s.allowedPorts(podEnd(p), addr))
		}
	}
	return agg.all, agg.some
}
