package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

const (
	cnpToNodes = `{"apiVersion":"policy.networking.k8s.io/%s","kind":"ClusterNetworkPolicy","metadata":{"name":"to-nodes"},
		"spec":{"tier":"Admin","priority":1,"subject":{"namespaces":{}},
		"egress":[{"action":"Deny","to":[{"nodes":{"matchLabels":{"role":"worker"}}}]}]}}`
	anp = `{"apiVersion":"policy.networking.k8s.io/v1alpha1","kind":"AdminNetworkPolicy","metadata":{"name":"anp"},
		"spec":{"priority":1,"subject":{"namespaces":{}},"ingress":[{"action":"Deny","from":[{"namespaces":{}}]}]}}`
	forbidden = `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,
		"message":"%s is forbidden: User \"u\" cannot list resource"}`
	node = `{"metadata":{"name":"n1","labels":{"role":"worker"}},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"}],
		"images":[{"names":["registry.example/big:1"],"sizeBytes":1}]}}`
)

// TestReadClusterPolicies serves the discovery documents and lists of
// policy.networking.k8s.io and nodes, and checks which are read and how
// failures are told.
func TestReadClusterPolicies(t *testing.T) {
	// apis is the list of groups, GET /apis, with policy.networking.k8s.io
	// at these versions (none: the group is not served).
	apis := func(versions ...string) string {
		other := `{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}]}`
		if len(versions) == 0 {
			return `{"kind":"APIGroupList","apiVersion":"v1","groups":[` + other + `]}`
		}
		var vs []string
		for _, v := range versions {
			vs = append(vs, fmt.Sprintf(`{"groupVersion":"policy.networking.k8s.io/%s","version":%q}`, v, v))
		}
		return `{"kind":"APIGroupList","apiVersion":"v1","groups":[` + other + `,{"name":"policy.networking.k8s.io","versions":[` + strings.Join(vs, ",") + `]}]}`
	}
	resources := func(version string, names ...string) string {
		var rs []string
		for _, n := range names {
			rs = append(rs, fmt.Sprintf(`{"name":%q,"namespaced":false,"kind":"X","verbs":["list"]}`, n))
		}
		return `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"policy.networking.k8s.io/` + version + `","resources":[` + strings.Join(rs, ",") + `]}`
	}
	list := func(items ...string) string { return `{"metadata":{},"items":[` + strings.Join(items, ",") + `]}` }
	const g = "/apis/policy.networking.k8s.io"

	for _, tc := range []struct {
		name      string
		serve     map[string]string // path -> body; "403" bodies are forbidden
		want      []string          // "Type name" of the objects read
		requests  int
		failures  []string
		errSubstr []string
	}{
		{name: "group not in GET /apis: no cluster policies, one request", serve: map[string]string{"/apis": apis()}, requests: 1},
		{
			name: "group not in GET /apis: its own documents are not asked",
			serve: map[string]string{
				"/apis": apis(), g + "/v1beta1": resources("v1beta1", "clusternetworkpolicies"),
				g + "/v1beta1/clusternetworkpolicies": list(fmt.Sprintf(cnpToNodes, "v1beta1")),
			},
			requests: 1,
		},
		{
			name: "v1beta1, nodes forbidden",
			serve: map[string]string{
				"/apis": apis("v1beta1", "v1alpha2"), g + "/v1beta1": resources("v1beta1", "clusternetworkpolicies"),
				g + "/v1beta1/clusternetworkpolicies": list(fmt.Sprintf(cnpToNodes, "v1beta1")),
				"/api/v1/nodes":                       "403",
			},
			want:     []string{"*v1beta1.ClusterNetworkPolicy to-nodes"},
			failures: []string{"nodes : cannot list nodes cluster-wide: nodes is forbidden"},
			requests: 4,
		},
		{
			name: "an unknown field in a served policy's label selector is an error naming the object, as in manifests",
			serve: map[string]string{
				"/apis": apis("v1beta1"), g + "/v1beta1": resources("v1beta1", "clusternetworkpolicies"),
				g + "/v1beta1/clusternetworkpolicies": list(`{"apiVersion":"policy.networking.k8s.io/v1beta1","kind":"ClusterNetworkPolicy","metadata":{"name":"typo"},
					"spec":{"tier":"Admin","priority":1,"subject":{"namespaces":{}},
					"ingress":[{"action":"Accept","from":[{"namespaces":{"matchLabel":{"team":"a"}}}]}]}}`),
			},
			errSubstr: []string{"typo: spec.ingress[0].from[0].namespaces: unknown field \"matchLabel\" in a label selector"},
			requests:  3,
		},
		{
			name: "an unknown field alone in a served policy's peer fails that rule closed",
			serve: map[string]string{
				"/apis": apis("v1beta1"), g + "/v1beta1": resources("v1beta1", "clusternetworkpolicies"),
				g + "/v1beta1/clusternetworkpolicies": list(`{"apiVersion":"policy.networking.k8s.io/v1beta1","kind":"ClusterNetworkPolicy","metadata":{"name":"newer"},
					"spec":{"tier":"Admin","priority":1,"subject":{"namespaces":{}},
					"ingress":[{"action":"Accept","from":[{"serviceAccounts":{"name":"x"}}]}]}}`),
			},
			want:     []string{"*v1beta1.ClusterNetworkPolicy newer"},
			requests: 3,
		},
		{
			name: "v1alpha2 only, ANP, nodes",
			serve: map[string]string{
				"/apis": apis("v1alpha2", "v1alpha1"), g + "/v1alpha2": resources("v1alpha2", "clusternetworkpolicies"),
				g + "/v1alpha2/clusternetworkpolicies": list(fmt.Sprintf(cnpToNodes, "v1alpha2")),
				g + "/v1alpha1":                        resources("v1alpha1", "adminnetworkpolicies"),
				g + "/v1alpha1/adminnetworkpolicies":   list(anp),
				"/api/v1/nodes":                        list(node),
			},
			want:     []string{"*v1alpha2.ClusterNetworkPolicy to-nodes", "*v1alpha1.AdminNetworkPolicy anp", "*v1.Node n1"},
			requests: 6,
		},
		{
			name: "a listed version whose resource list is 404 is an error naming the request, not a fallback",
			serve: map[string]string{
				"/apis": apis("v1beta1", "v1alpha2"), g + "/v1alpha2": resources("v1alpha2", "clusternetworkpolicies"),
				g + "/v1alpha2/clusternetworkpolicies": list(),
			},
			errSubstr: []string{"cannot discover policy.networking.k8s.io/v1beta1: GET /apis/policy.networking.k8s.io/v1beta1 answered 404 though GET /apis lists it as served"},
			requests:  2,
		},
		{
			name: "a listed version whose resource list is 404 drops no AdminNetworkPolicy",
			serve: map[string]string{
				"/apis": apis("v1beta1", "v1alpha1"), g + "/v1beta1": resources("v1beta1", "clusternetworkpolicies"),
				g + "/v1beta1/clusternetworkpolicies": list(),
			},
			errSubstr: []string{"GET /apis/policy.networking.k8s.io/v1alpha1 answered 404"},
			requests:  4,
		},
		{
			name: "a listed resource whose list is 404 is an error",
			serve: map[string]string{
				"/apis": apis("v1beta1"), g + "/v1beta1": resources("v1beta1", "clusternetworkpolicies"),
			},
			errSubstr: []string{"cannot list clusternetworkpolicies.policy.networking.k8s.io cluster-wide"},
			requests:  3,
		},
		{
			name:      "GET /apis 404 is an error naming the request",
			serve:     map[string]string{},
			errSubstr: []string{"cannot discover API groups: GET /apis: "},
			requests:  1,
		},
		{
			name: "list forbidden",
			serve: map[string]string{
				"/apis": apis("v1beta1"), g + "/v1beta1": resources("v1beta1", "clusternetworkpolicies"),
				g + "/v1beta1/clusternetworkpolicies": "403",
			},
			errSubstr: []string{"cannot list clusternetworkpolicies.policy.networking.k8s.io cluster-wide: clusternetworkpolicies.policy.networking.k8s.io is forbidden", "testdata/rbac/clusterrole.yaml"},
			requests:  3,
		},
		{
			name:      "discovery fails",
			serve:     map[string]string{"/apis": "503"},
			errSubstr: []string{"cannot discover API groups: GET /apis: "},
			requests:  1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var requests []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests = append(requests, r.URL.Path)
				body, ok := tc.serve[r.URL.Path]
				w.Header().Set("Content-Type", "application/json")
				switch {
				case !ok:
					w.WriteHeader(http.StatusNotFound)
					fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
				case body == "403":
					w.WriteHeader(http.StatusForbidden)
					resource := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
					if strings.Contains(r.URL.Path, "policy.networking.k8s.io") {
						resource += ".policy.networking.k8s.io"
					}
					fmt.Fprintf(w, forbidden, resource)
				case body == "503":
					w.WriteHeader(http.StatusServiceUnavailable)
					fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"ServiceUnavailable","code":503}`)
				default:
					fmt.Fprint(w, body)
				}
			}))
			defer srv.Close()
			cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			objs, failures, err := (&Cluster{Client: cs}).readClusterPoliciesAndNodes(context.Background())
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
				var name string
				switch o := o.(type) {
				case *npav1beta1.ClusterNetworkPolicy:
					name = o.Name
				case *npav1alpha2.ClusterNetworkPolicy:
					name = o.Name
				case *npav1alpha1.AdminNetworkPolicy:
					name = o.Name
				case *corev1.Node:
					name = o.Name
					if len(o.Status.Images) > 0 || len(o.Status.Addresses) != 1 {
						t.Errorf("node kept images %v or lost addresses %v", o.Status.Images, o.Status.Addresses)
					}
				}
				got = append(got, fmt.Sprintf("%T %s", o, name))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("read %q, want %q", got, tc.want)
			}
			var gotFailures []string
			for _, f := range failures {
				gotFailures = append(gotFailures, f.Kind+" "+f.Namespace+": "+f.Err.Error())
			}
			if len(gotFailures) != len(tc.failures) || (len(tc.failures) > 0 && !strings.HasPrefix(gotFailures[0], tc.failures[0])) {
				t.Errorf("failures %q, want %q", gotFailures, tc.failures)
			}
			if len(requests) != tc.requests {
				t.Errorf("%d requests %q, want %d", len(requests), requests, tc.requests)
			}
		})
	}
}
