package query

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	kselection "k8s.io/apimachinery/pkg/selection"
)

// Cilium's endpoint selectors, as Cilium reads them (pkg/policy/api
// selector.go, pkg/labels, pkg/k8s/apis/cilium.io const.go):
//
//   - A key may name its label source before a colon: "k8s:app",
//     "any:app", "reserved:host"; a key without one is "any:", which
//     matches every source. "$host" and "reserved.host" are reserved
//     labels too.
//   - A pod's endpoint carries its labels (source k8s) and
//     k8s:io.kubernetes.pod.namespace (the namespace's name),
//     k8s:io.cilium.k8s.namespace.labels.<key> (its namespace's labels),
//     k8s:io.cilium.k8s.policy.serviceaccount and ...policy.cluster.
//   - Reserved labels are not a pod's; reserved:host is the node's, whose
//     traffic is that of host-network pods.
//   - A CiliumNetworkPolicy selects only endpoints of its namespace.
//   - Only identity-relevant labels reach the selector: Cilium's label
//     filter (the "labels" setting of cilium-config) leaves out some pod
//     labels by default (pod-template-hash, statefulset.kubernetes.io/...)
//     and may be set to leave out others, of pods or namespaces; the
//     namespace's name is always kept (Documentation/operations/
//     performance/scalability/identity-relevant-labels.rst). A requirement
//     that a label be absent, or not have a value (NotIn, DoesNotExist),
//     may then hold for a pod that has it.
//
// So a requirement on a pod's or namespace's labels is read when it asks
// for a label (In, Exists, matchLabels) and dropped when it asks for an
// absence; the namespace's name is read either way; service account,
// cluster, other Cilium labels and other sources are dropped. Dropping a
// requirement selects more pods, never fewer.

const (
	ciliumNamespaceName   = "io.kubernetes.pod.namespace"
	ciliumNamespaceLabels = "io.cilium.k8s.namespace.labels."
)

// ciliumSelection reads the endpointSelector or nodeSelector of each rule
// (spec, specs[]) of a CiliumNetworkPolicy or
// CiliumClusterwideNetworkPolicy. A nodeSelector selects nodes: of pods,
// only host-network ones.
func ciliumSelection(u *unstructured.Unstructured, k *PluginKind) selection {
	type rule struct {
		path string
		m    map[string]any
	}
	var rules []rule
	if raw, ok := u.Object["spec"]; ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return scope(u, k, "spec could not be read")
		}
		rules = append(rules, rule{"spec", m})
	}
	if raw, ok := u.Object["specs"]; ok && raw != nil {
		list, ok := raw.([]any)
		if !ok {
			return scope(u, k, "specs could not be read")
		}
		for i, r := range list {
			m, ok := r.(map[string]any)
			if !ok {
				return scope(u, k, fmt.Sprintf("specs[%d] could not be read", i))
			}
			rules = append(rules, rule{fmt.Sprintf("specs[%d]", i), m})
		}
	}
	if len(rules) == 0 {
		return scope(u, k, "no spec or specs")
	}
	var terms []selTerm
	var reasons []string
	for _, r := range rules {
		es, hasEndpoints := r.m["endpointSelector"]
		_, hasNodes := r.m["nodeSelector"]
		switch {
		case hasEndpoints && !hasNodes:
			t, dropped, ok := ciliumTerm(es, u, k)
			if !ok {
				return scope(u, k, r.path+".endpointSelector could not be read")
			}
			terms = append(terms, t)
			for _, d := range dropped {
				reasons = append(reasons, fmt.Sprintf("%s.endpointSelector: %s", r.path, d))
			}
		case hasNodes && !hasEndpoints:
			terms = append(terms, selTerm{hostNetwork: true})
		default:
			return scope(u, k, r.path+" needs one of endpointSelector and nodeSelector")
		}
	}
	return termsSelection(terms, reasons...)
}

// ciliumTerm reads one endpoint selector; dropped says which requirements
// were not read. ok is false when it is not a label selector.
func ciliumTerm(raw any, u *unstructured.Unstructured, k *PluginKind) (t selTerm, dropped []string, ok bool) {
	ls, ok := toLabelSelector(raw)
	if !ok {
		return t, nil, false
	}
	reqs := make([]metav1.LabelSelectorRequirement, 0, len(ls.MatchLabels)+len(ls.MatchExpressions))
	keys := make([]string, 0, len(ls.MatchLabels))
	for key := range ls.MatchLabels {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		// matchLabels are "key=value", as LabelSelectorAsSelector has them.
		reqs = append(reqs, metav1.LabelSelectorRequirement{Key: key, Operator: matchLabel, Values: []string{ls.MatchLabels[key]}})
	}
	reqs = append(reqs, ls.MatchExpressions...)

	t = scopeTerm(u, k)
	pods, namespaces := labels.NewSelector(), labels.NewSelector()
	for _, r := range reqs {
		op, positive, known := ciliumOperator(r.Operator)
		if !known {
			return t, nil, false
		}
		source, key := ciliumLabelKey(r.Key)
		into := &pods
		switch {
		case source == "reserved":
			if positive {
				t.hostNetwork = true
			}
			continue
		case source != "k8s" && source != "any":
			dropped = append(dropped, fmt.Sprintf("%q: label source %q is not read", r.Key, source))
			continue
		case key == ciliumNamespaceName:
			key, into = NamespaceNameLabel, &namespaces
		case strings.HasPrefix(key, ciliumNamespaceLabels):
			key, into = strings.TrimPrefix(key, ciliumNamespaceLabels), &namespaces
		case strings.HasPrefix(key, "io.cilium.") || strings.HasPrefix(key, "io.kubernetes."):
			dropped = append(dropped, fmt.Sprintf("%q is not read", r.Key))
			continue
		}
		if !positive && key != NamespaceNameLabel {
			dropped = append(dropped, fmt.Sprintf("%q %s is not read: Cilium's identity labels may leave the label out", r.Key, r.Operator))
			continue
		}
		req, err := labels.NewRequirement(key, op, r.Values)
		if err != nil {
			return t, nil, false
		}
		*into = (*into).Add(*req)
	}
	t.pods = pods
	if !namespaces.Empty() {
		t.namespaces = namespaces
	}
	return t, dropped, true
}

// matchLabel is the operator of a matchLabels entry, for ciliumOperator.
const matchLabel metav1.LabelSelectorOperator = "="

// ciliumOperator is the selection operator of a LabelSelector operator,
// and whether it asks for a label (rather than its absence).
func ciliumOperator(op metav1.LabelSelectorOperator) (o kselection.Operator, positive, known bool) {
	switch op {
	case matchLabel:
		return kselection.Equals, true, true
	case metav1.LabelSelectorOpIn:
		return kselection.In, true, true
	case metav1.LabelSelectorOpExists:
		return kselection.Exists, true, true
	case metav1.LabelSelectorOpNotIn:
		return kselection.NotIn, false, true
	case metav1.LabelSelectorOpDoesNotExist:
		return kselection.DoesNotExist, false, true
	}
	return "", false, false
}

// ciliumLabelKey splits a selector key into its label source and key, as
// Cilium's labels.ParseSource does: "k8s:app" is source k8s, "$host" and
// "reserved.host" are reserved, a key without a source is "any".
func ciliumLabelKey(s string) (source, key string) {
	switch {
	case strings.HasPrefix(s, "$"):
		return "reserved", s[1:]
	case strings.Contains(s, ":"):
		source, key, _ = strings.Cut(s, ":")
		return source, key
	case strings.HasPrefix(s, "reserved."):
		return "reserved", strings.TrimPrefix(s, "reserved.")
	}
	return "any", s
}
