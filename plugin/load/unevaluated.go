package load

import (
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The policy kinds of network plugins (query.PluginKinds: Calico,
// Cilium, Antrea, OVN-Kubernetes, MultiNetworkPolicy) are read as
// unstructured objects: the engine does not evaluate them, it only reads
// which pods they may apply to, so that verdicts about those pods are not
// given as if they did not exist. Skipping them would do just that.

// unevaluatedObject decodes an object of one of query.PluginKinds.
// Its metadata is decoded strictly and checked as the API server checks
// it, and a namespaced object without namespace is given defaultNS; the
// rest is left to the engine, which reads only what says which pods the
// object applies to.
func unevaluatedObject(raw []byte, gvk schema.GroupVersionKind, k *query.PluginKind, defaultNS string) (*unstructured.Unstructured, error) {
	// The whole object, for its duplicate fields (whose last value would
	// silently win), with whole numbers as int64 as unstructured objects
	// hold them.
	u := &unstructured.Unstructured{}
	strict, err := kjson.UnmarshalStrict(raw, &u.Object)
	if err != nil {
		return nil, readableJSONError(err)
	}
	// The metadata, strictly.
	var doc struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	more, err := kjson.UnmarshalStrict(raw, &doc)
	if err != nil {
		return nil, readableJSONError(err)
	}
	for _, e := range more {
		var fe kjson.FieldError
		if errors.As(e, &fe) && strings.HasPrefix(fe.FieldPath(), "metadata.") && strings.HasPrefix(e.Error(), "unknown field ") {
			strict = append(strict, e)
		}
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("strict decoding error: %s", strings.Join(msgs, ", "))
	}
	m := &doc.Metadata
	if m.Name == "" {
		return nil, fmt.Errorf("metadata.name: required")
	}
	if !k.Namespaced {
		m.Namespace = ""
	} else if m.Namespace == "" {
		m.Namespace = defaultNS
	}
	var v validator
	v.meta(m, subdomainName)
	if len(v.errs) > 0 {
		return nil, v.errs[0]
	}
	// An item of a typed list may name neither.
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(m.Namespace)
	if err := query.CheckPluginObject(u); err != nil {
		return nil, err
	}
	return u, nil
}

// unevaluatedKindOf decides, as kindOf does, what is done with a document
// of a kind some group of query.PluginKinds serves (known false when
// none does): read when gvk is listed, an error naming the listed versions
// when its group serves the kind at others, or when a Kubernetes group
// is given a network plugin's kind that Kubernetes has not (a
// networking.k8s.io NetworkPolicy is Kubernetes' own).
func unevaluatedKindOf(gvk schema.GroupVersionKind) (known, read bool, err error) {
	if k, served := query.LookupPluginKind(gvk); k != nil {
		if served {
			return true, true, nil
		}
		return true, false, fmt.Errorf("apiVersion %s does not serve %s: use apiVersion %s", gvk.GroupVersion(), gvk.Kind, groupVersions(k))
	}
	if _, evaluated := served[gvk.Kind]; evaluated || !kubernetesGroup(gvk.Group) {
		return false, false, nil
	}
	var use []string
	for _, k := range query.PluginKinds {
		if k.Kind == gvk.Kind {
			use = append(use, groupVersions(k))
		}
	}
	if len(use) == 0 {
		return false, false, nil
	}
	return true, false, fmt.Errorf("apiVersion %s does not serve %s: use apiVersion %s", gvk.GroupVersion(), gvk.Kind, strings.Join(use, " or "))
}

func groupVersions(k *query.PluginKind) string {
	s := make([]string, len(k.GroupVersions))
	for i, gv := range k.GroupVersions {
		s[i] = gv.String()
	}
	return strings.Join(s, " or ")
}

// objectID names an object for duplicate checks and messages: by kind,
// namespace and name, with the group for the network plugins' kinds,
// whose names Kubernetes' own may share ("networkpolicy.projectcalico.org
// prod/db"); Calico's two groups serve one object, named by the first.
func objectID(gvk schema.GroupVersionKind, namespace, name string) string {
	if k, _ := query.LookupPluginKind(gvk); k != nil {
		return describe(k.Kind+"."+k.Group(), namespace, name)
	}
	return describe(gvk.Kind, namespace, name)
}
