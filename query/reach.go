package query

// Reachability over many pods, from the untraced evaluation of pod pairs
// (allowedPorts): what every and what some pair may use.

// unitPorts is the reachability from one group of pods to another, computed
// per equivalence-class pair: the ports every pod pair may use (all) and
// the ports some pair may use (some).
func (s *Snapshot) unitPorts(srcs, dsts []*Pod) (all, some PortSet) {
	s.Classes()
	return s.classedPorts(s.twoPerClass(srcs), s.twoPerClass(dsts))
}

// classedPorts is unitPorts for pods kept up to two per class
// (twoPerClass): one evaluation per class pair that holds two distinct
// pods, on the classes' own pods.
func (s *Snapshot) classedPorts(srcs, dsts [][]*Pod) (all, some PortSet) {
	var agg portAgg
	for _, as := range srcs {
		for _, bs := range dsts {
			if _, _, ok := distinctPair(as, bs); !ok {
				continue // a pod to itself says nothing about policy
			}
			cs, cd := s.classOf[as[0]], s.classOf[bs[0]]
			a, b := cs.Rep, cd.Rep
			if a == b {
				b = cd.Pods[1] // two distinct pods of one class
			}
			agg.add(s.allowedPorts(podEnd(a), podEnd(b)))
		}
	}
	return agg.all, agg.some
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
