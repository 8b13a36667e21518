package load

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	kjson "sigs.k8s.io/json"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// readUnevaluated lists the network plugins' policy kinds
// (query.PluginKinds) the server serves, each at the first of its
// group/versions served: namespaced kinds in each of namespaces (one
// namespace "" for all), as NetworkPolicies are read, cluster-scoped ones
// cluster-wide. The engine does not evaluate them but must know which
// pods they apply to, so any failure is an error: missing, they would
// turn the verdicts they may change into confident ones.
//
// They are read through the discovery REST client, as the cluster
// policies are, into unstructured objects. Requests: none for discovery
// beyond the list of groups shared with the cluster policies, unless a
// group is served; then one resource list per version asked about, and
// one list per served kind, namespace and page.
func (c *Cluster) readUnevaluated(ctx context.Context, namespaces []string) ([]runtime.Object, error) {
	d, err := c.discovery(ctx, "network plugin policies")
	if err != nil {
		return nil, err
	}
	var objs []runtime.Object
	for _, k := range query.PluginKinds {
		for _, gv := range k.GroupVersions {
			ok, err := d.serves(ctx, gv.Group, gv.Version, k.Resource)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			scopes := []string{metav1.NamespaceAll}
			if k.Namespaced {
				scopes = namespaces
			}
			kind := k.Resource + "." + gv.Group
			for _, ns := range scopes {
				items, err := c.listPolicies(ctx, kind, ns, "the network plugin's policies may decide verdicts", unstructuredList(ctx, d.rc, gv.WithKind(k.Kind), k.Resource, ns))
				if err != nil {
					return nil, err
				}
				objs = append(objs, items...)
			}
			break
		}
	}
	return objs, nil
}

// unstructuredList is a page function listing resource at gvk's
// group/version, in namespace ns ("" for all namespaces or a
// cluster-scoped resource), into unstructured objects of gvk without
// their managed fields.
func unstructuredList(ctx context.Context, rc rest.Interface, gvk schema.GroupVersionKind, resource, ns string) func(metav1.ListOptions) (runtime.Object, error) {
	path := []string{"/apis", gvk.Group, gvk.Version}
	if ns != "" {
		path = append(path, "namespaces", ns)
	}
	path = append(path, resource)
	return func(opts metav1.ListOptions) (runtime.Object, error) {
		body, err := getList(ctx, rc, opts, path...)
		if err != nil {
			return nil, err
		}
		var page struct {
			Metadata metav1.ListMeta  `json:"metadata"`
			Items    []map[string]any `json:"items"`
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &page); err != nil {
			return nil, fmt.Errorf("decode %s.%s/%s: %w", resource, gvk.Group, gvk.Version, err)
		}
		list := &unstructured.UnstructuredList{Object: map[string]any{}}
		list.SetContinue(page.Metadata.Continue)
		list.SetResourceVersion(page.Metadata.ResourceVersion)
		list.Items = make([]unstructured.Unstructured, len(page.Items))
		for i, item := range page.Items {
			u := &list.Items[i]
			u.Object = item
			u.SetGroupVersionKind(gvk)
			u.SetManagedFields(nil)
			if err := query.CheckPluginObject(u); err != nil {
				what := fmt.Sprintf("%s.%s/%s", resource, gvk.Group, gvk.Version)
				if name := u.GetName(); name != "" {
					what += " " + strings.TrimPrefix(u.GetNamespace()+"/"+name, "/")
				}
				return nil, fmt.Errorf("%s: %w", what, err)
			}
		}
		return list, nil
	}
}
