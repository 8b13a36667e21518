package query

import (
	"cmp"
	"slices"
	"strings"
)

// Unit is how answers about many pods name them: a workload; a pod that has
// none; or, for several such pods that policies treat alike, their group.
type Unit struct {
	Namespace string
	// Kind is the workload kind, "Pod", or "Pods" for a group of bare pods
	// whose Name is their labels in selector form.
	Kind string
	Name string
	Pods []*Pod
}

// String renders the unit as "deployment prod/api", "pod prod/debug" or
// "pods prod/{app=batch}".
func (u *Unit) String() string {
	if u.Kind == "Pods" {
		return "pods " + u.Namespace + "/{" + u.Name + "}"
	}
	return strings.ToLower(u.Kind) + " " + u.Namespace + "/" + u.Name
}

// Units groups the pods of a namespace ("" for all) by workload.
func (s *Snapshot) Units(ns string) []*Unit {
	pods := s.pods
	if ns != "" {
		pods = s.podsByNS[ns]
	}
	return s.unitsOf(pods)
}

// unitsOf groups pods by workload, and pods without one by equivalence
// class, sorted by namespace, kind and name.
func (s *Snapshot) unitsOf(pods []*Pod) []*Unit {
	bare := s.bareCounts()
	byKey := map[string]*Unit{}
	var out []*Unit
	for _, p := range pods {
		u := Unit{Namespace: p.Namespace, Kind: "Pod", Name: p.Name}
		switch {
		case p.Workload != nil:
			u.Kind, u.Name = p.Workload.Kind, p.Workload.Name
		case bare[s.classOf[p]] > 1:
			u.Kind, u.Name = "Pods", p.Labels.String()
		}
		k := u.String()
		if existing, ok := byKey[k]; ok {
			existing.Pods = append(existing.Pods, p)
			continue
		}
		u.Pods = []*Pod{p}
		byKey[k] = &u
		out = append(out, &u)
	}
	slices.SortFunc(out, func(a, b *Unit) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// bareCounts counts, per class, the pods without a workload in the whole
// snapshot, so a pod is named the same whatever subset it is listed in.
func (s *Snapshot) bareCounts() map[*Class]int {
	if s.bare == nil {
		s.Classes()
		s.bare = map[*Class]int{}
		for _, p := range s.pods {
			if p.Workload == nil {
				s.bare[s.classOf[p]]++
			}
		}
	}
	return s.bare
}
