package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// fakeAPI serves path -> body ("403" bodies are forbidden, others 404)
// and logs the requests ("path?query").
func fakeAPI(t *testing.T, serve map[string]string) (cs *kubernetes.Clientset, requests *[]string) {
	t.Helper()
	requests = &[]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*requests = append(*requests, r.URL.Path+"?"+r.URL.RawQuery)
		body, ok := serve[r.URL.Path]
		if c := r.URL.Query().Get("continue"); c != "" {
			body, ok = serve[r.URL.Path+"?continue="+c]
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !ok:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		case body == "403":
			w.WriteHeader(http.StatusForbidden)
			parts := strings.Split(r.URL.Path, "/")
			fmt.Fprintf(w, forbidden, parts[len(parts)-1]+"."+parts[2])
		default:
			fmt.Fprint(w, body)
		}
	}))
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cs, requests
}

// groupList is GET /apis with these groups (name -> versions).
func groupList(groups map[string][]string) string {
	var gs []string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range groups {
			if !yield(n) {
				return
			}
		}
	}) {
		var vs []string
		for _, v := range groups[name] {
			vs = append(vs, fmt.Sprintf(`{"groupVersion":"%s/%s","version":%q}`, name, v, v))
		}
		gs = append(gs, fmt.Sprintf(`{"name":%q,"versions":[%s]}`, name, strings.Join(vs, ",")))
	}
	return `{"kind":"APIGroupList","apiVersion":"v1","groups":[` + strings.Join(gs, ",") + `]}`
}

// resourceList is a version's resource list.
func resourceList(gv string, names ...string) string {
	var rs []string
	for _, n := range names {
		rs = append(rs, fmt.Sprintf(`{"name":%q,"namespaced":true,"kind":"X","verbs":["list"]}`, n))
	}
	return `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"` + gv + `","resources":[` + strings.Join(rs, ",") + `]}`
}

// item is an object of a list; ns "" for cluster-scoped ones.
func item(ns, name string) string {
	if ns == "" {
		return fmt.Sprintf(`{"metadata":{"name":%q,"managedFields":[{"manager":"kubectl"}]},"spec":{}}`, name)
	}
	return fmt.Sprintf(`{"metadata":{"name":%q,"namespace":%q,"managedFields":[{"manager":"kubectl"}]},"spec":{}}`, name, ns)
}

// ciliumItem is a CiliumNetworkPolicy (ns set) or
// CiliumClusterwideNetworkPolicy of a list, with the smallest rule Cilium
// accepts: Cilium's kinds are compiled when read, and a rule without
// ingress or egress is an error.
func ciliumItem(ns, name string) string {
	return strings.Replace(item(ns, name), `"spec":{}`, `"spec":{"endpointSelector":{},"ingress":[{}]}`, 1)
}

// ciliumCIDRGroupItem is a CiliumCIDRGroup of a list.
func ciliumCIDRGroupItem(name string) string {
	return strings.Replace(item("", name), `"spec":{}`, `"spec":{"externalCIDRs":["192.0.2.0/24"]}`, 1)
}

func itemList(items ...string) string {
	return `{"metadata":{"resourceVersion":"7"},"items":[` + strings.Join(items, ",") + `]}`
}

// TestReadUnevaluated serves the discovery documents and lists of the
// network plugins' groups and checks what is read, with which requests,
// and how failures are told.
func TestReadUnevaluated(t *testing.T) {
	const (
		cilium = "/apis/cilium.io/v2"
		calico = "/apis/projectcalico.org/v3"
		crd    = "/apis/crd.projectcalico.org/v1"
		antrea = "/apis/crd.antrea.io"
	)
	for _, tc := range []struct {
		name       string
		namespaces []string
		serve      map[string]string
		want       []string // "Kind.group namespace/name"
		requests   []string
		errSubstr  []string
	}{
		{
			name:     "no plugin group in GET /apis: nothing read, one request",
			serve:    map[string]string{"/apis": groupList(map[string][]string{"apps": {"v1"}})},
			requests: []string{"/apis?"},
		},
		{
			name:       "Cilium: namespaced kinds in each namespace of the scope, cluster-scoped ones once",
			namespaces: []string{"dev", "prod"},
			serve: map[string]string{
				"/apis": groupList(map[string][]string{"cilium.io": {"v2", "v2alpha1"}}),
				cilium:  resourceList("cilium.io/v2", "ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies", "ciliumcidrgroups", "ciliumendpoints"),
				cilium + "/namespaces/dev/ciliumnetworkpolicies":  itemList(ciliumItem("dev", "a")),
				cilium + "/namespaces/prod/ciliumnetworkpolicies": itemList(ciliumItem("prod", "b"), ciliumItem("prod", "c")),
				cilium + "/ciliumclusterwidenetworkpolicies":      itemList(ciliumItem("", "d")),
				cilium + "/ciliumcidrgroups":                      itemList(ciliumCIDRGroupItem("e")),
			},
			want: []string{"CiliumNetworkPolicy.cilium.io dev/a", "CiliumNetworkPolicy.cilium.io prod/b", "CiliumNetworkPolicy.cilium.io prod/c", "CiliumClusterwideNetworkPolicy.cilium.io /d",
				"CiliumCIDRGroup.cilium.io /e"},
			requests: []string{"/apis?", cilium + "?", cilium + "/namespaces/dev/ciliumnetworkpolicies?limit=500", cilium + "/namespaces/prod/ciliumnetworkpolicies?limit=500",
				cilium + "/ciliumclusterwidenetworkpolicies?limit=500", cilium + "/ciliumcidrgroups?limit=500"},
		},
		{
			name:       "all namespaces: one list of a namespaced kind",
			namespaces: []string{""},
			serve: map[string]string{
				"/apis":                           groupList(map[string][]string{"cilium.io": {"v2"}}),
				cilium:                            resourceList("cilium.io/v2", "ciliumnetworkpolicies"),
				cilium + "/ciliumnetworkpolicies": itemList(ciliumItem("dev", "a"), ciliumItem("prod", "b")),
			},
			want:     []string{"CiliumNetworkPolicy.cilium.io dev/a", "CiliumNetworkPolicy.cilium.io prod/b"},
			requests: []string{"/apis?", cilium + "?", cilium + "/ciliumnetworkpolicies?limit=500"},
		},
		{
			name:       "Calico's API server and CRDs serve the same objects: projectcalico.org/v3 only is read",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis": groupList(map[string][]string{"projectcalico.org": {"v3"}, "crd.projectcalico.org": {"v1"}}),
				calico:  resourceList("projectcalico.org/v3", "networkpolicies", "globalnetworkpolicies"),
				crd:     resourceList("crd.projectcalico.org/v1", "networkpolicies", "globalnetworkpolicies"),
				calico + "/namespaces/prod/networkpolicies": itemList(item("prod", "a")),
				calico + "/globalnetworkpolicies":           itemList(item("", "deny")),
			},
			want:     []string{"NetworkPolicy.projectcalico.org prod/a", "GlobalNetworkPolicy.projectcalico.org /deny"},
			requests: []string{"/apis?", calico + "?", calico + "/namespaces/prod/networkpolicies?limit=500", calico + "/globalnetworkpolicies?limit=500"},
		},
		{
			name:       "Calico without its API server: the CRDs",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis":                                  groupList(map[string][]string{"crd.projectcalico.org": {"v1"}}),
				crd:                                      resourceList("crd.projectcalico.org/v1", "networkpolicies", "globalnetworkpolicies", "ippools"),
				crd + "/namespaces/prod/networkpolicies": itemList(),
				crd + "/globalnetworkpolicies":           itemList(item("", "deny")),
			},
			want:     []string{"GlobalNetworkPolicy.crd.projectcalico.org /deny"},
			requests: []string{"/apis?", crd + "?", crd + "/namespaces/prod/networkpolicies?limit=500", crd + "/globalnetworkpolicies?limit=500"},
		},
		{
			name:       "Antrea: a kind the preferred version does not list is read at the next",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis":              groupList(map[string][]string{"crd.antrea.io": {"v1beta1", "v1alpha1"}}),
				antrea + "/v1beta1":  resourceList("crd.antrea.io/v1beta1", "clusternetworkpolicies", "tiers"),
				antrea + "/v1alpha1": resourceList("crd.antrea.io/v1alpha1", "networkpolicies"),
				antrea + "/v1beta1/clusternetworkpolicies":           itemList(item("", "acnp")),
				antrea + "/v1alpha1/namespaces/prod/networkpolicies": itemList(item("prod", "annp")),
			},
			want: []string{"ClusterNetworkPolicy.crd.antrea.io /acnp", "NetworkPolicy.crd.antrea.io prod/annp"},
			requests: []string{"/apis?", antrea + "/v1beta1?", antrea + "/v1beta1/clusternetworkpolicies?limit=500", antrea + "/v1alpha1?",
				antrea + "/v1alpha1/namespaces/prod/networkpolicies?limit=500"},
		},
		{
			name:       "a served group whose version lists none of the kinds: nothing listed",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis": groupList(map[string][]string{"cilium.io": {"v2"}}),
				cilium:  resourceList("cilium.io/v2", "ciliumendpoints", "ciliumidentities"),
			},
			requests: []string{"/apis?", cilium + "?"},
		},
		{
			name:       "a forbidden list is an error saying what to grant",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis": groupList(map[string][]string{"cilium.io": {"v2"}}),
				cilium:  resourceList("cilium.io/v2", "ciliumnetworkpolicies"),
				cilium + "/namespaces/prod/ciliumnetworkpolicies": "403",
			},
			errSubstr: []string{"cannot list ciliumnetworkpolicies.cilium.io in namespace prod: ciliumnetworkpolicies.cilium.io is forbidden", "grant list on ciliumnetworkpolicies.cilium.io, as testdata/rbac/clusterrole.yaml does"},
			requests:  []string{"/apis?", cilium + "?", cilium + "/namespaces/prod/ciliumnetworkpolicies?limit=500"},
		},
		{
			name:       "a listed version whose resource list is 404 is an error, not a missing plugin",
			namespaces: []string{"prod"},
			serve:      map[string]string{"/apis": groupList(map[string][]string{"k8s.ovn.org": {"v1"}})},
			errSubstr:  []string{"cannot discover k8s.ovn.org/v1: GET /apis/k8s.ovn.org/v1 answered 404 though GET /apis lists it as served"},
			requests:   []string{"/apis?", "/apis/k8s.ovn.org/v1?"},
		},
		{
			name:       "a listed resource whose list is 404 is an error",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis":                         groupList(map[string][]string{"k8s.cni.cncf.io": {"v1beta1"}}),
				"/apis/k8s.cni.cncf.io/v1beta1": resourceList("k8s.cni.cncf.io/v1beta1", "multi-networkpolicies", "network-attachment-definitions"),
			},
			errSubstr: []string{"cannot list multi-networkpolicies.k8s.cni.cncf.io in namespace prod"},
			requests:  []string{"/apis?", "/apis/k8s.cni.cncf.io/v1beta1?", "/apis/k8s.cni.cncf.io/v1beta1/namespaces/prod/multi-networkpolicies?limit=500"},
		},
		{
			name:       "an item without a name is an error naming the resource",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis": groupList(map[string][]string{"projectcalico.org": {"v3"}}),
				calico:  resourceList("projectcalico.org/v3", "networkpolicies"),
				calico + "/namespaces/prod/networkpolicies": itemList(`{"metadata":{"namespace":"prod"},"spec":{}}`),
			},
			errSubstr: []string{"networkpolicies.projectcalico.org/v3: networkpolicy: metadata.name: required"},
			requests:  []string{"/apis?", calico + "?", calico + "/namespaces/prod/networkpolicies?limit=500"},
		},
		{
			name:       "a Cilium item without a name is an error naming the resource",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis": groupList(map[string][]string{"cilium.io": {"v2"}}),
				cilium:  resourceList("cilium.io/v2", "ciliumnetworkpolicies"),
				cilium + "/namespaces/prod/ciliumnetworkpolicies": itemList(`{"metadata":{"namespace":"prod"},"spec":{"endpointSelector":{},"ingress":[{}]}}`),
			},
			errSubstr: []string{"ciliumnetworkpolicies.cilium.io/v2: ciliumnetworkpolicy: metadata.name: required"},
			requests:  []string{"/apis?", cilium + "?", cilium + "/namespaces/prod/ciliumnetworkpolicies?limit=500"},
		},
		{
			name:       "a Cilium item Cilium rejects is an error naming the resource and the field",
			namespaces: []string{"prod"},
			serve: map[string]string{
				"/apis": groupList(map[string][]string{"cilium.io": {"v2"}}),
				cilium:  resourceList("cilium.io/v2", "ciliumnetworkpolicies"),
				cilium + "/namespaces/prod/ciliumnetworkpolicies": itemList(`{"metadata":{"name":"p","namespace":"prod"},"spec":{"endpointSelector":{}}}`),
			},
			errSubstr: []string{"cannot list ciliumnetworkpolicies.cilium.io in namespace prod: ciliumnetworkpolicies.cilium.io/v2 prod/p: spec: rule must have at least one of ingress, ingressDeny, egress, egressDeny"},
			requests:  []string{"/apis?", cilium + "?", cilium + "/namespaces/prod/ciliumnetworkpolicies?limit=500"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, requests := fakeAPI(t, tc.serve)
			objs, err := (&Cluster{Client: cs, ChunkSize: DefaultChunkSize}).readUnevaluated(context.Background(), tc.namespaces)
			for _, s := range tc.errSubstr {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("error %v, want it to contain %q", err, s)
				}
			}
			if len(tc.errSubstr) == 0 && err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				u := o.(*unstructured.Unstructured)
				got = append(got, u.GroupVersionKind().GroupKind().String()+" "+u.GetNamespace()+"/"+u.GetName())
				if u.GetManagedFields() != nil {
					t.Errorf("%s kept its managed fields", u.GetName())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("read (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.requests, *requests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadUnevaluatedPages: lists are paged by ChunkSize.
func TestReadUnevaluatedPages(t *testing.T) {
	const path = "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies"
	cs, requests := fakeAPI(t, map[string]string{
		"/apis":               groupList(map[string][]string{"cilium.io": {"v2"}}),
		"/apis/cilium.io/v2":  resourceList("cilium.io/v2", "ciliumclusterwidenetworkpolicies"),
		path:                  `{"metadata":{"continue":"p2"},"items":[` + ciliumItem("", "a") + `]}`,
		path + "?continue=p2": itemList(ciliumItem("", "b")),
	})
	objs, err := (&Cluster{Client: cs, ChunkSize: 1}).readUnevaluated(context.Background(), []string{"prod"})
	if err != nil || len(objs) != 2 {
		t.Fatalf("read %d objects, %v; want 2", len(objs), err)
	}
	want := []string{"/apis?", "/apis/cilium.io/v2?", path + "?limit=1", path + "?continue=p2&limit=1"}
	if diff := cmp.Diff(want, *requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestDiscoveryIsShared: the cluster policies and the network plugins'
// policies are found with one list of groups.
func TestDiscoveryIsShared(t *testing.T) {
	cs, requests := fakeAPI(t, map[string]string{"/apis": groupList(map[string][]string{"apps": {"v1"}})})
	c := &Cluster{Client: cs}
	if _, _, err := c.readClusterPoliciesAndNodes(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.readUnevaluated(context.Background(), []string{"prod"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/apis?"}, *requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestDocumentedRoleListsPluginPolicies: testdata/rbac/clusterrole.yaml
// grants list on every kind readUnevaluated lists, at each of its groups.
func TestDocumentedRoleListsPluginPolicies(t *testing.T) {
	b, err := os.ReadFile("../../testdata/rbac/clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		t.Fatal(err)
	}
	for _, k := range query.PluginKinds {
		for _, gv := range k.GroupVersions {
			if !slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
				return slices.Contains(r.APIGroups, gv.Group) && slices.Contains(r.Resources, k.Resource) && slices.Contains(r.Verbs, "list")
			}) {
				t.Errorf("the role does not grant list on %s.%s", k.Resource, gv.Group)
			}
		}
	}
}
