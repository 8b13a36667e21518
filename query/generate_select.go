package query

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Which labels generated policies select workloads by (generate.go).

// controllerLabels are the pod label keys controllers and the kubelet
// write, which change with every rollout or differ per pod: a selector on
// them breaks with the next rollout or selects one pod of many.
var controllerLabels = map[string]bool{
	"pod-template-hash":                        true, // Deployment → ReplicaSet
	"controller-revision-hash":                 true, // StatefulSet, DaemonSet
	"pod-template-generation":                  true, // DaemonSet
	"statefulset.kubernetes.io/pod-name":       true,
	"apps.kubernetes.io/pod-index":             true,
	"controller-uid":                           true, // Job, before 1.27
	"batch.kubernetes.io/controller-uid":       true,
	"job-name":                                 true,
	"batch.kubernetes.io/job-name":             true,
	"batch.kubernetes.io/job-completion-index": true,
	"security.istio.io/tlsMode":                true, // written by Istio's injector
	"service.istio.io/canonical-name":          true,
	"service.istio.io/canonical-revision":      true,
}

// stableLabels are a pod's labels without those controllers write; for
// Cilium, also without those its identities leave out, which no selector
// sees there.
func stableLabels(p *Pod, cilium bool) labels.Set {
	out := labels.Set{}
	for k, v := range p.Labels {
		if !controllerLabels[k] && (!cilium || ciliumKeepsPodLabel(k)) {
			out[k] = v
		}
	}
	return out
}

// genSelection is how generated policies select the pods of one end: the
// labels, and a sentence that says why these.
type genSelection struct {
	labels labels.Set
	why    string
	brief  string // why in a few words, for peers
	// also are the other units of the namespace the labels select too
	// (no stable label tells them apart).
	also []string
}

// selectionOf chooses the labels that select the pods of a workload (or
// a bare pod): the workload's own matchLabels selector when it selects
// exactly its pods in the namespace (the API keeps a Deployment's,
// StatefulSet's and DaemonSet's selector immutable), else the stable
// labels all its pods share. Never a subset that happens to be unique
// today: a label the workload shares with others does not name it.
func (s *Snapshot) selectionOf(e *genEnd, cilium bool) (genSelection, error) {
	cilium = cilium || s.sem.ciliumProfile
	common := stableLabels(e.pods[0], cilium)
	for _, p := range e.pods[1:] {
		st := stableLabels(p, cilium)
		for k, v := range common {
			if st[k] != v {
				delete(common, k)
			}
		}
	}
	if e.ref != nil {
		if sel, ok := s.workloadSelectors[e.ns+"/"+e.ref.Kind+"/"+e.ref.Name]; ok && subsetOf(sel, common) {
			if others := s.othersSelected(e, sel); len(others) == 0 {
				return genSelection{labels: sel, why: fmt.Sprintf("%s's own selector (spec.selector, which the API keeps as it is)", e.unit), brief: "its spec.selector"}, nil
			}
		}
	}
	if len(common) == 0 {
		return genSelection{}, fmt.Errorf("the pods of %s have no label in common but those controllers write (%s): no NetworkPolicy selects them alone; give them a label", e.unit, strings.Join(slices.Sorted(maps.Keys(e.pods[0].Labels)), ", "))
	}
	sel := genSelection{labels: common, why: fmt.Sprintf("the labels every pod of %s has (those controllers write, such as pod-template-hash, left out)", e.unit), brief: "the stable labels of its pods"}
	if e.ref == nil {
		sel.why = fmt.Sprintf("the labels of %s (those controllers write left out)", e.unit)
		sel.brief = "its stable labels"
	}
	sel.also = s.othersSelected(e, common)
	return sel, nil
}

// selectedPods are the pods of an end's namespace its selection selects:
// its own, and those of the units its labels do not tell apart.
func (pl *genPlan) selectedPods(e *genEnd) []*Pod {
	ls := labels.SelectorFromSet(pl.sels[e.unit].labels)
	var out []*Pod
	for _, p := range pl.s.podsByNS[e.ns] {
		if ls.Matches(p.Labels) {
			out = append(out, p)
		}
	}
	return out
}

// othersSelected names the units of e's namespace, other than e, that have
// pods the labels select.
func (s *Snapshot) othersSelected(e *genEnd, sel labels.Set) []string {
	mine := map[*Pod]bool{}
	for _, p := range e.pods {
		mine[p] = true
	}
	var others []*Pod
	ls := labels.SelectorFromSet(sel)
	for _, p := range s.podsByNS[e.ns] {
		if !mine[p] && ls.Matches(p.Labels) {
			others = append(others, p)
		}
	}
	var names []string
	for _, u := range s.unitsOf(others) {
		names = append(names, u.String())
	}
	return names
}

func subsetOf(a, b labels.Set) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return len(a) > 0
}
