package load

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	kjson "sigs.k8s.io/json"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// policyGroup is the API group of ClusterNetworkPolicy and of the older
// AdminNetworkPolicy and BaselineAdminNetworkPolicy, all served by CRDs.
const policyGroup = "policy.networking.k8s.io"

// clusterPolicyResources are the cluster-scoped policy resources read, each
// at the first of its versions the server serves.
var clusterPolicyResources = []struct {
	resource string
	versions []string
}{
	{"clusternetworkpolicies", []string{"v1beta1", "v1alpha2"}},
	{"adminnetworkpolicies", []string{"v1alpha1"}},
	{"baselineadminnetworkpolicies", []string{"v1alpha1"}},
}

// newPolicyList is the typed list a resource at a version decodes into.
func newPolicyList(resource, version string) runtime.Object {
	switch resource + "/" + version {
	case "clusternetworkpolicies/v1beta1":
		return &npav1beta1.ClusterNetworkPolicyList{}
	case "clusternetworkpolicies/v1alpha2":
		return &npav1alpha2.ClusterNetworkPolicyList{}
	case "adminnetworkpolicies/v1alpha1":
		return &npav1alpha1.AdminNetworkPolicyList{}
	case "baselineadminnetworkpolicies/v1alpha1":
		return &npav1alpha1.BaselineAdminNetworkPolicyList{}
	}
	panic("no list type for " + resource + "/" + version)
}

// readClusterPolicies lists the cluster policies whose CRDs the server
// serves; any failure is an error, since cluster policies take part in
// every verdict.
//
// What is served is read from the discovery documents (apiDiscovery): a
// 404 on one that should exist is a failed read, never "not installed",
// which would drop every cluster policy and turn denials into allowances.
//
// The policy kinds are CRDs the typed clientset does not know, so they are
// read through the clientset's discovery REST client (which carries the
// same credentials, transport and rate limiter) as JSON into the typed
// structs of sigs.k8s.io/network-policy-api. Requests: the list of groups
// (all it costs clusters without the CRDs, and shared with the network
// plugins' policies), then one resource list per served version needed
// and one list per served resource and page.
func (c *Cluster) readClusterPolicies(ctx context.Context) ([]runtime.Object, error) {
	d, err := c.discovery(ctx, policyGroup+" policies")
	if err != nil {
		return nil, err
	}
	var objs []runtime.Object
	for _, r := range clusterPolicyResources {
		for _, version := range r.versions {
			ok, err := d.serves(ctx, policyGroup, version, r.resource)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			kind := r.resource + "." + policyGroup
			items, err := c.listPolicies(ctx, kind, "", "cluster policies decide verdicts", rawList(ctx, d.rc, r.resource, version))
			if err != nil {
				return nil, err
			}
			objs = append(objs, items...)
			break
		}
	}
	return objs, nil
}

// rawList is a page function listing a cluster-scoped resource of
// policyGroup at a version, decoded into its typed list.
func rawList(ctx context.Context, rc rest.Interface, resource, version string) func(metav1.ListOptions) (runtime.Object, error) {
	return func(opts metav1.ListOptions) (runtime.Object, error) {
		body, err := getList(ctx, rc, opts, "/apis", policyGroup, version, resource)
		if err != nil {
			return nil, err
		}
		list := newPolicyList(resource, version)
		// Strict, to find fields newer than these types: the same rules
		// as for manifests decide which fail closed and which are errors.
		strict, err := kjson.UnmarshalStrict(body, list, kjson.DisallowUnknownFields)
		if err != nil {
			return nil, fmt.Errorf("decode %s.%s/%s: %w", resource, policyGroup, version, err)
		}
		if err := checkNewerFields(list, strict); err != nil {
			return nil, fmt.Errorf("%s.%s/%s: %w", resource, policyGroup, version, err)
		}
		return list, nil
	}
}

// checkNewerFields applies newerFields to each item of a decoded list, from
// the strict decoding errors of the list (paths items[N].spec...): an
// unknown field a rule cannot fail closed on is an error naming the
// object, as it is in manifests.
func checkNewerFields(list runtime.Object, strict []error) error {
	if len(strict) == 0 {
		return nil
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	byItem := map[int][]string{}
	for _, e := range strict {
		var fe kjson.FieldError
		if !errors.As(e, &fe) {
			return e
		}
		idx, rest, ok := cutItem(fe.FieldPath())
		if !ok || idx >= len(items) {
			return e
		}
		byItem[idx] = append(byItem[idx], rest)
	}
	for i, paths := range byItem {
		if _, err := newerFields(items[i], paths); err != nil {
			m, _ := meta.Accessor(items[i])
			return fmt.Errorf("%s: %w", m.GetName(), err)
		}
	}
	return nil
}

// cutItem splits "items[3].spec.x" into 3 and "spec.x".
func cutItem(path string) (int, string, bool) {
	rest, ok := strings.CutPrefix(path, "items[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "].")
	if !ok {
		return 0, "", false
	}
	i, err := strconv.Atoi(num)
	return i, rest, err == nil
}

// readClusterPoliciesAndNodes reads the cluster policies and, when one of
// them has a peer that selects nodes, the Nodes; failing to read those is
// returned as a Failure, since only answers about nodes need them.
func (c *Cluster) readClusterPoliciesAndNodes(ctx context.Context) ([]runtime.Object, []Failure, error) {
	objs, err := c.readClusterPolicies(ctx)
	if err != nil || !slices.ContainsFunc(objs, selectsNodes) {
		return objs, nil, err
	}
	nodes, err := c.list(ctx, "nodes", "", func(o metav1.ListOptions) (runtime.Object, error) {
		return c.Client.CoreV1().Nodes().List(ctx, o)
	})
	if err != nil {
		return objs, []Failure{{Kind: "nodes", Namespace: "", Err: err}}, nil
	}
	for _, n := range nodes {
		// Only names, labels and addresses matter; images and managed
		// fields are most of a node's size.
		n.(*corev1.Node).ManagedFields = nil
		n.(*corev1.Node).Status.Images = nil
		objs = append(objs, n)
	}
	return objs, nil, nil
}

// selectsNodes reports whether a cluster policy has an egress peer that
// selects nodes, whose addresses then have to be known.
func selectsNodes(obj runtime.Object) bool {
	switch p := obj.(type) {
	case *npav1beta1.ClusterNetworkPolicy:
		for _, r := range p.Spec.Egress {
			if slices.ContainsFunc(r.To, func(t npav1beta1.ClusterNetworkPolicyEgressPeer) bool { return t.Nodes != nil }) {
				return true
			}
		}
	case *npav1alpha2.ClusterNetworkPolicy:
		for _, r := range p.Spec.Egress {
			if slices.ContainsFunc(r.To, func(t npav1alpha2.ClusterNetworkPolicyEgressPeer) bool { return t.Nodes != nil }) {
				return true
			}
		}
	case *npav1alpha1.AdminNetworkPolicy:
		for _, r := range p.Spec.Egress {
			if slices.ContainsFunc(r.To, func(t npav1alpha1.AdminNetworkPolicyEgressPeer) bool { return t.Nodes != nil }) {
				return true
			}
		}
	case *npav1alpha1.BaselineAdminNetworkPolicy:
		for _, r := range p.Spec.Egress {
			if slices.ContainsFunc(r.To, func(t npav1alpha1.BaselineAdminNetworkPolicyEgressPeer) bool { return t.Nodes != nil }) {
				return true
			}
		}
	}
	return false
}

// getList GETs one page of a list at path as JSON.
func getList(ctx context.Context, rc rest.Interface, opts metav1.ListOptions, path ...string) ([]byte, error) {
	res := rc.Get().AbsPath(path...).
		SpecificallyVersionedParams(&opts, metav1.ParameterCodec, metav1.SchemeGroupVersion).
		SetHeader("Accept", "application/json").
		Do(ctx)
	// Error, unlike Raw, carries the API's Status message.
	if err := res.Error(); err != nil {
		return nil, err
	}
	return res.Raw()
}
