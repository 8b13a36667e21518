package query

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Which pods an unevaluated policy object may apply to. Every reading
// here may select more pods than the plugin does, never fewer: a pod
// selected too many makes a verdict undecided, one missed makes it wrong.

// selection is the pods an object may apply to: those any term matches.
type selection struct {
	terms []selTerm
	// what says it in words, with the reason when it is wider than the
	// object's selector.
	what string
}

// selTerm matches pods by namespace, namespace labels and pod labels; a
// zero field matches every pod.
type selTerm struct {
	// namespace is the one namespace matched, "" for all.
	namespace  string
	namespaces labels.Selector
	pods       labels.Selector
	// hostNetwork limits the term to host-network pods: the term selects
	// nodes, whose traffic is that of the pods on their network.
	hostNetwork bool
}

func (sel selection) selects(p *Pod, nsLabels labels.Set) bool {
	return slices.ContainsFunc(sel.terms, func(t selTerm) bool {
		return (t.namespace == "" || t.namespace == p.Namespace) &&
			(t.namespaces == nil || t.namespaces.Matches(nsLabels)) &&
			(t.pods == nil || t.pods.Matches(p.Labels)) &&
			(!t.hostNetwork || p.HostNetwork)
	})
}

func (t selTerm) String() string {
	var s string
	switch {
	case t.hostNetwork && (t.pods == nil || t.pods.Empty()):
		s = "host-network pods"
	case t.hostNetwork:
		s = fmt.Sprintf("host-network pods matching %s", t.pods)
	case t.pods == nil || t.pods.Empty():
		s = "every pod"
	default:
		s = fmt.Sprintf("pods matching %s", t.pods)
	}
	switch {
	case t.namespace != "":
		s += " in namespace " + t.namespace
	case t.namespaces != nil && !t.namespaces.Empty():
		s += fmt.Sprintf(" in namespaces matching %s", t.namespaces)
	}
	return s
}

// termsSelection is the selection of terms, described by them and by the
// reasons some are wider than the object says.
func termsSelection(terms []selTerm, reasons ...string) selection {
	if len(terms) == 0 {
		return selection{what: "no pod"}
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t.String()
	}
	sel := selection{terms: terms, what: strings.Join(parts, "; ")}
	if len(reasons) > 0 {
		sel.what += " (" + strings.Join(reasons, "; ") + ")"
	}
	return sel
}

// scopeTerm matches every pod an object can apply to at all: those of its
// namespace, or every pod for cluster-scoped kinds.
func scopeTerm(u *unstructured.Unstructured, k *PluginKind) selTerm {
	if k.Namespaced {
		return selTerm{namespace: u.GetNamespace()}
	}
	return selTerm{}
}

// scope is the selection of scopeTerm, with why the selector was not read
// ("" when the kind has none).
func scope(u *unstructured.Unstructured, k *PluginKind, why string) selection {
	if why == "" {
		return termsSelection([]selTerm{scopeTerm(u, k)})
	}
	return termsSelection([]selTerm{scopeTerm(u, k)}, why)
}

// namespaceSelection: an EgressFirewall applies to every pod of its
// namespace.
func namespaceSelection(u *unstructured.Unstructured, k *PluginKind) selection {
	return scope(u, k, "")
}

// calicoSelection: Calico's spec.selector is written in Calico's own
// selector language, which is not read; a NetworkPolicy may apply to
// every pod of its namespace, a GlobalNetworkPolicy to every pod.
func calicoSelection(u *unstructured.Unstructured, k *PluginKind) selection {
	return scope(u, k, "spec.selector is Calico's selector language, not read")
}

// multiNetworkSelection: a MultiNetworkPolicy's spec.podSelector selects
// pods of its namespace, as a NetworkPolicy's does.
func multiNetworkSelection(u *unstructured.Unstructured, k *PluginKind) selection {
	raw, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "podSelector")
	if !found {
		return scope(u, k, "no spec.podSelector")
	}
	sel, ok := labelSelector(raw)
	if !ok {
		return scope(u, k, "spec.podSelector could not be read")
	}
	return termsSelection([]selTerm{{namespace: u.GetNamespace(), pods: sel}})
}

// labelSelector reads a LabelSelector; ok is false when raw is not a
// valid one (null is, and selects everything, as {} does).
func labelSelector(raw any) (labels.Selector, bool) {
	ls, ok := toLabelSelector(raw)
	if !ok {
		return nil, false
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	return sel, err == nil
}

func toLabelSelector(raw any) (*metav1.LabelSelector, bool) {
	if raw == nil {
		return &metav1.LabelSelector{}, true
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, false
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &ls); err != nil {
		return nil, false
	}
	return &ls, true
}

// antreaSelection reads spec.appliedTo of an Antrea ClusterNetworkPolicy
// or NetworkPolicy (Antrea's docs/antrea-network-policy.md and the
// AppliedTo type of pkg/apis/crd/v1beta1): podSelector and
// namespaceSelector select pods, in every namespace for a
// ClusterNetworkPolicy (a podSelector alone selects pods of all of them)
// and in its own for a NetworkPolicy; nodeSelector selects nodes, whose
// traffic is that of host-network pods; externalEntitySelector selects no
// pod. A group, service account or service is not read: it stands for
// every pod of the namespace it names (for a ClusterGroup, of the
// cluster). An appliedTo given per rule rather than for the policy is not
// read either: the policy may apply to every pod of its scope.
func antreaSelection(u *unstructured.Unstructured, k *PluginKind) selection {
	raw, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "appliedTo")
	entries, isList := raw.([]any)
	if !found || !isList || len(entries) == 0 {
		return scope(u, k, "no spec.appliedTo; the rules' own appliedTo is not read")
	}
	var terms []selTerm
	var reasons []string
	for i, e := range entries {
		path := fmt.Sprintf("spec.appliedTo[%d]", i)
		m, ok := e.(map[string]any)
		if !ok {
			return scope(u, k, path+" could not be read")
		}
		fields := make([]string, 0, len(m))
		for f := range m {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		switch strings.Join(fields, ",") {
		case "podSelector", "namespaceSelector", "namespaceSelector,podSelector":
			if k.Namespaced && m["namespaceSelector"] != nil {
				return scope(u, k, path+".namespaceSelector is not allowed in an Antrea NetworkPolicy")
			}
			t := scopeTerm(u, k)
			for _, f := range []struct {
				name string
				into *labels.Selector
			}{{"podSelector", &t.pods}, {"namespaceSelector", &t.namespaces}} {
				if _, set := m[f.name]; !set {
					continue
				}
				sel, ok := labelSelector(m[f.name])
				if !ok {
					return scope(u, k, path+"."+f.name+" could not be read")
				}
				*f.into = sel
			}
			terms = append(terms, t)
		case "nodeSelector":
			terms = append(terms, selTerm{hostNetwork: true})
		case "externalEntitySelector", "externalEntitySelector,namespaceSelector":
			// External entities are not pods.
		case "group":
			terms = append(terms, scopeTerm(u, k))
			reasons = append(reasons, path+".group is not read")
		case "serviceAccount", "service":
			t := scopeTerm(u, k)
			if !k.Namespaced {
				ref, _ := m[fields[0]].(map[string]any)
				ns, _ := ref["namespace"].(string)
				if ns == "" {
					return scope(u, k, path+"."+fields[0]+" names no namespace")
				}
				t.namespace = ns
			}
			terms = append(terms, t)
			reasons = append(reasons, path+"."+fields[0]+" is not read")
		default:
			return scope(u, k, path+" is not read")
		}
	}
	return termsSelection(terms, reasons...)
}

// namespaceLabels are the labels of a namespace, or only its name label
// when the snapshot does not hold it.
func (s *Snapshot) namespaceLabels(ns string) labels.Set {
	if n := s.namespaces[ns]; n != nil {
		return n.Labels
	}
	return labels.Set{NamespaceNameLabel: ns}
}
