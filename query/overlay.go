package query

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// ObjectRef names an object by kind, namespace and name ("" namespace for
// Namespaces). Group is set only for the kinds of network plugins
// (PluginKinds), whose names Kubernetes' own kinds may share.
type ObjectRef struct {
	Kind      string
	Group     string
	Namespace string
	Name      string
}

// String renders the reference as written on the command line:
// networkpolicy/prod/db, namespace/dev,
// globalnetworkpolicy.projectcalico.org/deny.
func (r ObjectRef) String() string {
	kind := strings.ToLower(r.Kind)
	if r.Group != "" {
		kind += "." + r.Group
	}
	if r.Namespace == "" {
		return kind + "/" + r.Name
	}
	return kind + "/" + r.Namespace + "/" + r.Name
}

// ParseObjectRef parses KIND/NS/NAME (KIND/NAME for namespaces), with the
// kind spelled as kubectl accepts it (networkpolicy, netpol, ns, deploy...).
func ParseObjectRef(s string) (ObjectRef, error) {
	parts := strings.Split(s, "/")
	kind, group := refKind(parts[0]), ""
	clusterScoped := clusterScopedKinds[kind]
	if strings.EqualFold(parts[0], "cnp") && len(parts) == 3 {
		// kubectl's short name of both: ClusterNetworkPolicy is
		// cluster-scoped (cnp/NAME), CiliumNetworkPolicy namespaced.
		kind = ""
	}
	if kind == "" {
		// A network plugin's policy kind, when the name means one.
		if ks, err := PluginKindsNamed(parts[0]); err == nil && len(ks) == 1 {
			kind, group, clusterScoped = ks[0].Kind, ks[0].Group(), !ks[0].Namespaced
		}
	}
	switch {
	case kind == "":
		return ObjectRef{}, fmt.Errorf("%q: unknown kind %q (networkpolicy, clusternetworkpolicy, ciliumnetworkpolicy (cnp/NS/NAME), ciliumclusterwidenetworkpolicy (ccnp), namespace, pod, service, a workload kind or a network plugin's policy kind)", s, parts[0])
	case clusterScoped && len(parts) == 2 && parts[1] != "":
		return ObjectRef{Kind: kind, Group: group, Name: parts[1]}, nil
	case !clusterScoped && len(parts) == 3 && parts[1] != "" && parts[2] != "":
		return ObjectRef{Kind: kind, Group: group, Namespace: parts[1], Name: parts[2]}, nil
	case clusterScoped:
		return ObjectRef{}, fmt.Errorf("%q: want %s/NAME", s, strings.ToLower(kind))
	default:
		return ObjectRef{}, fmt.Errorf("%q: want KIND/NAMESPACE/NAME, e.g. networkpolicy/prod/db", s)
	}
}

// clusterScopedKinds are the kinds named KIND/NAME.
var clusterScopedKinds = map[string]bool{
	"Namespace": true, "Node": true, "ClusterNetworkPolicy": true,
	"AdminNetworkPolicy": true, "BaselineAdminNetworkPolicy": true,
}

func refKind(s string) string {
	switch strings.ToLower(s) {
	case "networkpolicy", "networkpolicies", "netpol":
		return "NetworkPolicy"
	case "namespace", "namespaces", "ns":
		return "Namespace"
	case "clusternetworkpolicy", "clusternetworkpolicies", "cnp":
		return "ClusterNetworkPolicy"
	case "adminnetworkpolicy", "adminnetworkpolicies", "anp":
		return "AdminNetworkPolicy"
	case "baselineadminnetworkpolicy", "baselineadminnetworkpolicies", "banp":
		return "BaselineAdminNetworkPolicy"
	case "node", "nodes", "no":
		return "Node"
	}
	return kindOf(s)
}

// refOf returns the reference of a typed object the snapshot reads.
func refOf(obj runtime.Object) (ObjectRef, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ObjectRef{}, err
	}
	var kind string
	switch obj.(type) {
	case *corev1.Namespace:
		return ObjectRef{Kind: "Namespace", Name: m.GetName()}, nil
	case *corev1.Pod:
		kind = "Pod"
	case *corev1.Service:
		kind = "Service"
	case *networkingv1.NetworkPolicy:
		kind = "NetworkPolicy"
	case *corev1.Node:
		return ObjectRef{Kind: "Node", Name: m.GetName()}, nil
	case *unstructured.Unstructured:
		return unevaluatedRef(obj.(*unstructured.Unstructured))
	default:
		if isClusterPolicy(obj) {
			// Every version of a kind is one object to --with/--without.
			return ObjectRef{Kind: clusterKind(obj), Name: m.GetName()}, nil
		}
		w, ok := workloadKind(obj)
		if !ok {
			return ObjectRef{}, fmt.Errorf("unsupported object %T", obj)
		}
		kind = w.ref.Kind
	}
	return ObjectRef{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName()}, nil
}

// With answers "what if these objects were applied": it returns a new
// snapshot where each object replaces the one of the same kind, namespace
// and name, or is added. A workload brought in replaces the pods it ran
// with one stand-in pod from its new template. The receiver is unchanged.
func (s *Snapshot) With(objs ...runtime.Object) (*Snapshot, error) {
	replace := map[ObjectRef]runtime.Object{}
	var order []ObjectRef
	opts := s.opts
	opts.standIns = map[string]bool{}
	for k, v := range s.opts.standIns {
		opts.standIns[k] = v
	}
	for _, obj := range objs {
		ref, err := refOf(obj)
		if err != nil {
			return nil, err
		}
		if _, dup := replace[ref]; !dup {
			order = append(order, ref)
		}
		replace[ref] = obj
		if _, ok := workloadKind(obj); ok {
			opts.standIns[ref.Namespace+"/"+ref.Kind+"/"+ref.Name] = true
		}
	}
	drop := s.podsOfWorkloads(replace)
	var out []runtime.Object
	for _, obj := range s.objects {
		ref, err := refOf(obj)
		if err != nil {
			return nil, err
		}
		if _, replaced := replace[ref]; replaced || drop[obj] {
			continue
		}
		out = append(out, obj)
	}
	for _, ref := range order {
		out = append(out, replace[ref])
	}
	return s.rebuild(out, opts)
}

// Without answers "what if these objects were deleted". Deleting a
// namespace deletes everything in it; deleting a workload deletes its pods.
// Naming an object the snapshot does not hold is an error.
func (s *Snapshot) Without(refs ...ObjectRef) (*Snapshot, error) {
	remove := map[ObjectRef]runtime.Object{}
	found := map[ObjectRef]bool{}
	deletedNS := map[string]bool{}
	for _, r := range refs {
		remove[r] = nil
		if r.Kind == "Namespace" {
			deletedNS[r.Name] = true
		}
	}
	drop := s.podsOfWorkloads(remove)
	var out []runtime.Object
	for _, obj := range s.objects {
		ref, err := refOf(obj)
		if err != nil {
			return nil, err
		}
		if _, ok := remove[ref]; ok {
			found[ref] = true
			continue
		}
		if drop[obj] || deletedNS[ref.Namespace] {
			continue
		}
		out = append(out, obj)
	}
	for _, r := range refs {
		if !found[r] && (r.Kind != "Namespace" || s.namespaces[r.Name] == nil) {
			return nil, fmt.Errorf("--without %s: no such object", r)
		}
	}
	return s.rebuild(out, s.opts)
}

// podsOfWorkloads returns the Pod objects run by the referenced workloads.
func (s *Snapshot) podsOfWorkloads(refs map[ObjectRef]runtime.Object) map[runtime.Object]bool {
	drop := map[runtime.Object]bool{}
	for _, p := range s.pods {
		if p.source == nil || p.Workload == nil {
			continue
		}
		if _, ok := refs[ObjectRef{Kind: p.Workload.Kind, Namespace: p.Namespace, Name: p.Workload.Name}]; ok {
			drop[p.source] = true
		}
	}
	return drop
}

func (s *Snapshot) rebuild(objs []runtime.Object, opts Options) (*Snapshot, error) {
	next, err := NewSnapshot(objs, opts)
	if err != nil {
		return nil, err
	}
	for k, v := range s.unreadable {
		next.unreadable[k] = v
	}
	return next, nil
}
