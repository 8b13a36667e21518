package query

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// workloadKinds maps every accepted spelling of a workload kind (as kubectl
// accepts them on the command line) to the Kind.
var workloadKinds = map[string]string{
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"statefulset": "StatefulSet", "statefulsets": "StatefulSet", "sts": "StatefulSet",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"replicaset": "ReplicaSet", "replicasets": "ReplicaSet", "rs": "ReplicaSet",
	"job": "Job", "jobs": "Job",
	"cronjob": "CronJob", "cronjobs": "CronJob", "cj": "CronJob",
	"replicationcontroller": "ReplicationController", "replicationcontrollers": "ReplicationController", "rc": "ReplicationController",
}

// workloadResource is the lower-case plural resource name of a workload
// kind, as the API and error messages name it.
func workloadResource(kind string) string {
	return strings.ToLower(kind) + "s"
}

// workload is a workload object reduced to what a stand-in pod needs.
type workload struct {
	ref       WorkloadRef
	namespace string
	owner     *WorkloadRef
	labels    map[string]string
	spec      *corev1.PodSpec
	// selector is the workload's spec.selector when it is matchLabels
	// alone (Deployment, StatefulSet, DaemonSet, ReplicaSet,
	// ReplicationController), for generated policies to select by.
	selector labels.Set
}

// workloadKind returns the kind and pod template of a workload object.
func workloadKind(obj runtime.Object) (workload, bool) {
	mk := func(kind string, m *metav1.ObjectMeta, t *corev1.PodTemplateSpec) workload {
		return workload{
			ref:       WorkloadRef{Kind: kind, Name: m.Name},
			namespace: m.Namespace,
			owner:     controllerOf(m.OwnerReferences),
			labels:    t.Labels,
			spec:      &t.Spec,
		}
	}
	withSelector := func(w workload, sel *metav1.LabelSelector) workload {
		if sel != nil && len(sel.MatchExpressions) == 0 && len(sel.MatchLabels) > 0 {
			w.selector = labels.Set(sel.MatchLabels)
		}
		return w
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return withSelector(mk("Deployment", &o.ObjectMeta, &o.Spec.Template), o.Spec.Selector), true
	case *appsv1.StatefulSet:
		return withSelector(mk("StatefulSet", &o.ObjectMeta, &o.Spec.Template), o.Spec.Selector), true
	case *appsv1.DaemonSet:
		return withSelector(mk("DaemonSet", &o.ObjectMeta, &o.Spec.Template), o.Spec.Selector), true
	case *appsv1.ReplicaSet:
		return withSelector(mk("ReplicaSet", &o.ObjectMeta, &o.Spec.Template), o.Spec.Selector), true
	case *batchv1.Job:
		return mk("Job", &o.ObjectMeta, &o.Spec.Template), true
	case *batchv1.CronJob:
		return mk("CronJob", &o.ObjectMeta, &o.Spec.JobTemplate.Spec.Template), true
	case *corev1.ReplicationController:
		t := o.Spec.Template
		if t == nil {
			t = &corev1.PodTemplateSpec{}
		}
		w := mk("ReplicationController", &o.ObjectMeta, t)
		if len(o.Spec.Selector) > 0 {
			w.selector = labels.Set(o.Spec.Selector)
		}
		return w, true
	}
	return workload{}, false
}

// controllerOf returns the controlling owner of an object, if any. A Node
// is not a workload: the kubelet makes a static pod's mirror owned by its
// node, and such pods are listed as pods of their own.
func controllerOf(refs []metav1.OwnerReference) *WorkloadRef {
	for _, r := range refs {
		if r.Controller != nil && *r.Controller && r.Kind != "Node" {
			return &WorkloadRef{Kind: r.Kind, Name: r.Name}
		}
	}
	return nil
}

// checkOwnerRefs rejects owner references the API server would reject for
// want of a kind or a name, which would otherwise name a unit after
// nothing.
func checkOwnerRefs(refs []metav1.OwnerReference) error {
	for i, r := range refs {
		if r.Kind == "" {
			return fmt.Errorf("metadata.ownerReferences[%d].kind: Required value", i)
		}
		if r.Name == "" {
			return fmt.Errorf("metadata.ownerReferences[%d].name: Required value", i)
		}
	}
	return nil
}

// addWorkloads names each pod after its top-level workload (pod → ReplicaSet
// → Deployment, pod → Job → CronJob) and turns every top-level workload that
// owns none of the given pods into a stand-in pod named after it.
func (s *Snapshot) addWorkloads(objs []runtime.Object) error {
	byKey := map[string]workload{}
	key := func(ns string, r WorkloadRef) string { return ns + "/" + r.Kind + "/" + r.Name }
	for _, obj := range objs {
		w, _ := workloadKind(obj)
		k := key(w.namespace, w.ref)
		if _, dup := byKey[k]; dup {
			return fmt.Errorf("%s %s/%s is given twice", strings.ToLower(w.ref.Kind), w.namespace, w.ref.Name)
		}
		byKey[k] = w
	}
	s.breakOwnerCycles(byKey, key)
	// top follows controller references upwards through known workloads;
	// breakOwnerCycles has made every chain end.
	top := func(ns string, r WorkloadRef) WorkloadRef {
		for {
			w, ok := byKey[key(ns, r)]
			if !ok || w.owner == nil {
				return r
			}
			r = *w.owner
		}
	}
	hasPods := map[string]bool{}
	for _, p := range s.pods {
		if p.Workload == nil {
			continue
		}
		for r := *p.Workload; ; {
			hasPods[key(p.Namespace, r)] = true
			w, ok := byKey[key(p.Namespace, r)]
			if !ok || w.owner == nil {
				break
			}
			r = *w.owner
		}
		t := top(p.Namespace, *p.Workload)
		p.Workload = &t
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	seen := map[string]bool{}
	for _, k := range keys {
		w := byKey[k]
		ref := WorkloadRef{Kind: w.ref.Kind, Name: w.ref.Name}
		if w.owner != nil {
			if _, known := byKey[key(w.namespace, *w.owner)]; known {
				continue // the owner stands for it
			}
		}
		if !seen[w.namespace+"/"+ref.Kind+"/"+ref.Name] {
			seen[w.namespace+"/"+ref.Kind+"/"+ref.Name] = true
			s.workloads[w.namespace] = append(s.workloads[w.namespace], ref)
			if w.selector != nil {
				s.workloadSelectors[k] = w.selector
			}
		}
		if hasPods[k] || !(s.opts.WorkloadStandIns || s.opts.standIns[k]) {
			continue
		}
		p := podFromSpec(w.namespace, w.ref.Name, w.labels, w.spec)
		p.Workload = &ref
		p.StandIn = true
		s.addPod(p)
	}
	for _, p := range s.pods {
		if p.Workload == nil || p.StandIn {
			continue
		}
		if _, known := byKey[key(p.Namespace, *p.Workload)]; !known {
			// A pod whose owner was not given still names its workload.
			if !slices.Contains(s.workloads[p.Namespace], *p.Workload) {
				s.workloads[p.Namespace] = append(s.workloads[p.Namespace], *p.Workload)
			}
		}
	}
	for ns := range s.workloads {
		slices.SortFunc(s.workloads[ns], func(a, b WorkloadRef) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
		})
	}
	return nil
}

// breakOwnerCycles finds controller references that lead back to where
// they started (a ReplicaSet owning itself, two workloads owning each
// other), which the API server accepts and which no controller resolves.
// Every workload whose chain of owners runs into a cycle loses its owner,
// so that pods count as owned by the first workload of their chain, and a
// warning names the cycle; without this, following owners would never end.
func (s *Snapshot) breakOwnerCycles(byKey map[string]workload, key func(string, WorkloadRef) string) {
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// settled holds workloads already walked: true when their chain runs
	// into a cycle.
	settled := map[string]bool{}
	for _, start := range keys {
		var path []string
		onPath := map[string]int{}
		cyclic := false
		for k := start; ; {
			if c, ok := settled[k]; ok {
				cyclic = c
				break
			}
			if i, seen := onPath[k]; seen {
				names := make([]string, 0, len(path)-i+1)
				for _, ck := range path[i:] {
					w := byKey[ck]
					names = append(names, fmt.Sprintf("%s %s/%s", strings.ToLower(w.ref.Kind), w.namespace, w.ref.Name))
				}
				s.Warnings = append(s.Warnings, ownerCycleWarning(names))
				cyclic = true
				break
			}
			onPath[k] = len(path)
			path = append(path, k)
			w := byKey[k]
			if w.owner == nil {
				break
			}
			next := key(w.namespace, *w.owner)
			if _, known := byKey[next]; !known {
				break
			}
			k = next
		}
		for _, k := range path {
			settled[k] = cyclic
			if cyclic {
				w := byKey[k]
				w.owner = nil
				byKey[k] = w
			}
		}
	}
}

// Workloads returns the top-level workloads of a namespace, sorted.
func (s *Snapshot) Workloads(ns string) []WorkloadRef { return s.workloads[ns] }

// podsOf returns the pods a workload runs (or its stand-in).
func (s *Snapshot) podsOf(ns string, ref WorkloadRef) []*Pod {
	var out []*Pod
	for _, p := range s.podsByNS[ns] {
		if p.Workload != nil && *p.Workload == ref {
			out = append(out, p)
		}
	}
	return out
}
