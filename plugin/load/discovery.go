package load

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
)

// apiDiscovery says which resources the server serves, from its discovery
// documents, each read at most once per Cluster: the list of groups (GET
// /apis) first, then a version's resource list when one of its resources
// is first asked about. Groups served by CRDs (the cluster policies, the
// network plugins' policies) are found with one request in all, and one
// more per version read.
//
// Whether something is served is read only from the document that lists
// it: the group and its versions from the list of groups, a resource from
// the version's resource list. A 404 on a document that should exist
// (stale discovery in an HA control plane, a filtering proxy) is a failed
// read, never "not installed": taking it for that would drop policies.
type apiDiscovery struct {
	// rc is the clientset's discovery REST client, which carries the same
	// credentials, transport and rate limiter as the typed clients.
	rc rest.Interface
	// versions are the versions of each group GET /apis lists.
	versions map[string][]string
	// resources are the resource names of each "group/version" read.
	resources map[string][]string
}

// discovery reads the list of groups, once; what names what is looked
// for, for the error of a client without REST requests.
func (c *Cluster) discovery(ctx context.Context, what string) (*apiDiscovery, error) {
	if c.apis != nil {
		return c.apis, nil
	}
	rc := c.Client.Discovery().RESTClient()
	if rc == nil {
		return nil, fmt.Errorf("cannot look for %s: the client makes no REST requests", what)
	}
	var groups metav1.APIGroupList
	if err := discover(ctx, rc, "API groups", "", &groups, "/apis"); err != nil {
		return nil, err
	}
	d := &apiDiscovery{rc: rc, versions: map[string][]string{}, resources: map[string][]string{}}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			d.versions[g.Name] = append(d.versions[g.Name], v.Version)
		}
	}
	c.apis = d
	return d, nil
}

// serves reports whether the server serves resource at group/version.
func (d *apiDiscovery) serves(ctx context.Context, group, version, resource string) (bool, error) {
	if !slices.Contains(d.versions[group], version) {
		return false, nil
	}
	gv := group + "/" + version
	names, ok := d.resources[gv]
	if !ok {
		var list metav1.APIResourceList
		if err := discover(ctx, d.rc, gv, "GET /apis lists it as served", &list, "/apis", group, version); err != nil {
			return false, err
		}
		names = []string{}
		for _, r := range list.APIResources {
			names = append(names, r.Name)
		}
		d.resources[gv] = names
	}
	return slices.Contains(names, resource), nil
}

// discover reads a discovery document into into. Every failure is an
// error naming the request; a 404 says which document listed the one that
// is missing (listedBy, empty for the root), so that the user sees a
// disagreement of the server, not a missing CRD.
func discover(ctx context.Context, rc rest.Interface, what, listedBy string, into runtime.Object, path ...string) error {
	err := rc.Get().AbsPath(path...).SetHeader("Accept", "application/json").Do(ctx).Into(into)
	if err == nil {
		return nil
	}
	req := "GET " + strings.Join(path, "/")
	if apierrors.IsNotFound(err) && listedBy != "" {
		return fmt.Errorf("cannot discover %s: %s answered 404 though %s (stale discovery or a filtering proxy?): %w", what, req, listedBy, err)
	}
	return fmt.Errorf("cannot discover %s: %s: %w", what, req, err)
}

// listPolicies lists a policy kind verdicts depend on; a forbidden list
// says what the kind decides and what to grant.
func (c *Cluster) listPolicies(ctx context.Context, kind, ns, decides string, fn func(metav1.ListOptions) (runtime.Object, error)) ([]runtime.Object, error) {
	items, err := c.list(ctx, kind, ns, fn)
	if apierrors.IsForbidden(err) {
		err = fmt.Errorf("%w (%s: grant list on %s, as testdata/rbac/clusterrole.yaml does)", err, decides, kind)
	}
	return items, err
}
