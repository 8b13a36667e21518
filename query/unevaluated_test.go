package query

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// unevaluatedWorld: namespaces prod (env=prod), dev (env=dev) and
// kube-system; pods prod/db, prod/web, dev/db, and the host-network pod
// kube-system/agent.
func unevaluatedWorld() []runtime.Object {
	agent := testPod("kube-system/agent", "app=agent", "172.18.0.2")
	agent.Spec.HostNetwork = true
	return []runtime.Object{
		testNamespace("prod", "env=prod"),
		testNamespace("dev", "env=dev"),
		testNamespace("kube-system", ""),
		testPod("prod/db", "app=db", "10.0.0.1"),
		testPod("prod/web", "app=web", "10.0.0.2"),
		testPod("dev/db", "app=db", "10.0.1.1"),
		agent,
	}
}

// testObject reads one object of any kind from YAML.
func testObject(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatalf("bad test object: %v\n%s", err, doc)
	}
	return u
}

// selectedPods are the pods of s some unevaluated object may apply to.
func selectedPods(s *Snapshot) []string {
	var out []string
	for _, p := range s.Pods() {
		if len(s.UnevaluatedFor(p)) > 0 {
			out = append(out, p.Key())
		}
	}
	return out
}

func TestUnevaluatedSelection(t *testing.T) {
	const (
		acnp = "apiVersion: crd.antrea.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\n"
		annp = "apiVersion: crd.antrea.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: prod}\n"
		mnp  = "apiVersion: k8s.cni.cncf.io/v1beta1\nkind: MultiNetworkPolicy\nmetadata: {name: p, namespace: prod}\n"
	)
	all := []string{"dev/db", "kube-system/agent", "prod/db", "prod/web"}
	for _, tc := range []struct {
		name    string
		doc     string
		want    []string
		selects string
	}{
		{
			name: "a Calico NetworkPolicy may apply to every pod of its namespace",
			doc:  "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: prod}\nspec: {selector: app == 'db'}",
			want: []string{"prod/db", "prod/web"}, selects: "every pod in namespace prod (spec.selector is Calico's selector language, not read)",
		},
		{
			name: "a Calico GlobalNetworkPolicy of the CRD group may apply to every pod",
			doc:  "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\nspec: {selector: all()}",
			want: all,
		},
		{
			name: "an Antrea ClusterNetworkPolicy podSelector alone selects pods of every namespace",
			doc:  acnp + "spec: {appliedTo: [{podSelector: {matchLabels: {app: db}}}]}",
			want: []string{"dev/db", "prod/db"},
		},
		{
			name: "an Antrea namespaceSelector and podSelector are ANDed",
			doc:  acnp + "spec: {appliedTo: [{podSelector: {matchLabels: {app: db}}, namespaceSelector: {matchLabels: {env: dev}}}]}",
			want: []string{"dev/db"}, selects: "pods matching app=db in namespaces matching env=dev",
		},
		{
			name: "an Antrea ClusterGroup is not read: every pod",
			doc:  acnp + "spec: {appliedTo: [{group: dbs}]}",
			want: all, selects: "every pod (spec.appliedTo[0].group is not read)",
		},
		{
			name: "an Antrea service account stands for every pod of its namespace",
			doc:  acnp + "spec: {appliedTo: [{serviceAccount: {name: db, namespace: dev}}]}",
			want: []string{"dev/db"},
		},
		{
			name: "an Antrea rule-level appliedTo widens to every pod",
			doc:  acnp + "spec: {ingress: [{action: Drop, appliedTo: [{podSelector: {}}]}]}",
			want: all,
		},
		{
			name: "an Antrea externalEntitySelector selects no pod",
			doc:  acnp + "spec: {appliedTo: [{externalEntitySelector: {matchLabels: {vm: a}}}]}",
			want: nil, selects: "no pod",
		},
		{
			name: "an Antrea nodeSelector selects host-network pods",
			doc:  acnp + "spec: {appliedTo: [{nodeSelector: {}}]}",
			want: []string{"kube-system/agent"}, selects: "host-network pods",
		},
		{
			name: "an Antrea NetworkPolicy podSelector selects pods of its namespace",
			doc:  annp + "spec: {appliedTo: [{podSelector: {matchLabels: {app: db}}}]}",
			want: []string{"prod/db"},
		},
		{
			name: "an Antrea NetworkPolicy with an unknown appliedTo field widens to its namespace",
			doc:  annp + "spec: {appliedTo: [{podSelector: {}, futureField: {}}]}",
			want: []string{"prod/db", "prod/web"},
		},
		{
			name: "a MultiNetworkPolicy selects by spec.podSelector in its namespace",
			doc:  mnp + "spec: {podSelector: {matchLabels: {app: web}}}",
			want: []string{"prod/web"}, selects: "pods matching app=web in namespace prod",
		},
		{
			name: "a MultiNetworkPolicy podSelector that cannot be read widens to its namespace",
			doc:  mnp + "spec: {podSelector: {matchExpressions: [{key: app, operator: Like}]}}",
			want: []string{"prod/db", "prod/web"}, selects: "every pod in namespace prod (spec.podSelector could not be read)",
		},
		{
			name: "a MultiNetworkPolicy without podSelector widens to its namespace",
			doc:  mnp + "spec: {policyTypes: [Ingress]}",
			want: []string{"prod/db", "prod/web"}, selects: "every pod in namespace prod (no spec.podSelector)",
		},
		{
			name: "an EgressFirewall applies to every pod of its namespace",
			doc:  "apiVersion: k8s.ovn.org/v1\nkind: EgressFirewall\nmetadata: {name: default, namespace: dev}\nspec: {egress: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}",
			want: []string{"dev/db"}, selects: "every pod in namespace dev",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSnapshot(t, DefaultOptions(), append(unevaluatedWorld(), testObject(t, tc.doc))...)
			if diff := cmp.Diff(tc.want, selectedPods(s)); diff != "" {
				t.Errorf("selected pods (-want +got):\n%s", diff)
			}
			if got := s.Unevaluated()[0].Selects(); tc.selects != "" && got != tc.selects {
				t.Errorf("Selects() = %q, want %q", got, tc.selects)
			}
		})
	}
}

func TestUnevaluatedSummary(t *testing.T) {
	doc := func(kind, apiVersion, ns, name string) runtime.Object {
		return testObject(t, "apiVersion: "+apiVersion+"\nkind: "+kind+"\nmetadata: {name: "+name+", namespace: "+ns+"}\nspec: {}")
	}
	s := testSnapshot(t, DefaultOptions(), append(unevaluatedWorld(),
		doc("MultiNetworkPolicy", "k8s.cni.cncf.io/v1beta1", "prod", "a"),
		doc("MultiNetworkPolicy", "k8s.cni.cncf.io/v1beta1", "prod", "b"),
		doc("MultiNetworkPolicy", "k8s.cni.cncf.io/v1beta1", "prod", "c"),
		doc("MultiNetworkPolicy", "k8s.cni.cncf.io/v1beta1", "dev", "a"),
		doc("GlobalNetworkPolicy", "projectcalico.org/v3", "prod", "deny"),
		doc("NetworkPolicy", "crd.projectcalico.org/v1", "dev", "first"),
		doc("NetworkPolicy", "crd.projectcalico.org/v1", "dev", "second"),
		doc("EgressFirewall", "k8s.ovn.org/v1", "dev", "default"),
	)...)
	want := []string{
		"1 Calico GlobalNetworkPolicy",
		"2 Calico NetworkPolicies in dev",
		"1 EgressFirewall in dev",
		"1 MultiNetworkPolicy in dev",
		"3 MultiNetworkPolicies in prod",
	}
	if diff := cmp.Diff(want, s.Unevaluated().Summary()); diff != "" {
		t.Errorf("Summary (-want +got):\n%s", diff)
	}
	if got, want := s.UnevaluatedFor(s.Pods()[0]).String(), "1 Calico GlobalNetworkPolicy, 2 Calico NetworkPolicies in dev, 1 EgressFirewall in dev, 1 MultiNetworkPolicy in dev"; got != want {
		t.Errorf("UnevaluatedFor(%s) = %q, want %q", s.Pods()[0].Key(), got, want)
	}
	if got := s.Unevaluated()[0].String(); got != "Calico GlobalNetworkPolicy deny" {
		t.Errorf("String() = %q: a cluster-scoped object is named without namespace", got)
	}
}

func TestIgnoreKinds(t *testing.T) {
	objs := append(unevaluatedWorld(),
		testObject(t, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: deny}\nspec: {selector: all()}"),
		testObject(t, "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\nmetadata: {name: deny2}\nspec: {selector: all()}"),
		testObject(t, "apiVersion: k8s.cni.cncf.io/v1beta1\nkind: MultiNetworkPolicy\nmetadata: {name: p, namespace: prod}\nspec: {podSelector: {}}"),
	)
	for _, tc := range []struct {
		name, ignore         string
		unevaluated, ignored int
		err                  string
	}{
		{name: "by kind, for both of Calico's groups", ignore: "GlobalNetworkPolicy", unevaluated: 1, ignored: 2},
		{name: "by plural resource name", ignore: "globalnetworkpolicies", unevaluated: 1, ignored: 2},
		{name: "by Kind.group", ignore: "GlobalNetworkPolicy.projectcalico.org", unevaluated: 1, ignored: 2},
		{name: "by Kind.group with the CRD group", ignore: "globalnetworkpolicy.crd.projectcalico.org", unevaluated: 1, ignored: 2},
		{name: "by lower-case kind", ignore: "multinetworkpolicy", unevaluated: 2, ignored: 1},
		{name: "a kind the input does not hold changes nothing", ignore: "EgressFirewall", unevaluated: 3},
		{name: "an unknown kind is an error naming the known ones", ignore: "CiliumPolicy", err: `ignore kind: "CiliumPolicy" is not a policy kind kubectl netpol reads without evaluating (one of NetworkPolicy.projectcalico.org, GlobalNetworkPolicy.projectcalico.org, ClusterNetworkPolicy.crd.antrea.io`},
		{name: "a group that does not serve the kind is an error", ignore: "CiliumNetworkPolicy.projectcalico.org", err: "is not a policy kind"},
		{name: "NetworkPolicy without group is an error: Kubernetes' own is evaluated", ignore: "NetworkPolicy", err: `"NetworkPolicy" is also a Kubernetes kind, which is evaluated: name the group, e.g. NetworkPolicy.projectcalico.org or NetworkPolicy.crd.antrea.io`},
		{name: "ClusterNetworkPolicy without group is an error", ignore: "clusternetworkpolicies", err: "name the group, e.g. ClusterNetworkPolicy.crd.antrea.io"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.IgnoreKinds = []string{tc.ignore}
			s, err := NewSnapshot(objs, opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Unevaluated()) != tc.unevaluated || len(s.Ignored()) != tc.ignored {
				t.Errorf("unevaluated %v, ignored %v; want %d and %d", s.Unevaluated(), s.Ignored(), tc.unevaluated, tc.ignored)
			}
			db := s.PodsIn("prod")[0]
			if n := len(s.UnevaluatedFor(db)) + len(s.IgnoredFor(db)); n != 3 {
				t.Errorf("prod/db: %d unevaluated and ignored objects, want 3", n)
			}
		})
	}
}

// TestIgnoreCiliumHostPolicy: a CiliumClusterwideNetworkPolicy's host
// policy (a rule with nodeSelector) is the one part of Cilium's kinds that
// is not evaluated; --ignore-kind of its kind judges without it, as for
// any other unevaluated object.
func TestIgnoreCiliumHostPolicy(t *testing.T) {
	// Cilium's kinds are evaluated: --ignore-kind refuses them, pointing
	// at --without, rather than keep a host policy's CCNP apart.
	opts := DefaultOptions()
	opts.IgnoreKinds = []string{"CiliumClusterwideNetworkPolicy"}
	_, err := NewSnapshot(append(unevaluatedWorld(),
		testObject(t, "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: workers}\nspec: {nodeSelector: {}, ingress: [{fromEntities: [cluster]}]}")), opts)
	if err == nil || !strings.Contains(err.Error(), "is evaluated, not only read: to judge without some of its objects, use --without") {
		t.Errorf("error %v, want --ignore-kind refused for an evaluated kind", err)
	}
}

func TestUnevaluatedMetadata(t *testing.T) {
	for _, tc := range []struct{ name, doc, err string }{
		{"a namespaced kind needs a namespace", "apiVersion: crd.antrea.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: p}", "networkpolicy p: metadata.namespace: required"},
		{"every kind needs a name", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {}", "globalnetworkpolicy: metadata.name: required"},
		{"a version the table does not list is an error", "apiVersion: crd.antrea.io/v1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}", "crd.antrea.io/v1 ClusterNetworkPolicy: kind or version not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSnapshot([]runtime.Object{testObject(t, tc.doc)}, DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want it to contain %q", err, tc.err)
			}
		})
	}
	t.Run("a cluster-scoped kind drops its namespace", func(t *testing.T) {
		s := testSnapshot(t, DefaultOptions(), testObject(t, "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p, namespace: prod}"))
		if ns := s.Unevaluated()[0].Namespace; ns != "" {
			t.Errorf("namespace %q, want none", ns)
		}
	})
}

// TestCiliumMetadata: Cilium's kinds, evaluated, are held to the metadata
// rules of the other plugin kinds: a CiliumNetworkPolicy without namespace
// must not become cluster-wide, and a version PluginKinds does not list
// is not read as cilium.io/v2.
func TestCiliumMetadata(t *testing.T) {
	const rule = "\nspec: {endpointSelector: {}, ingress: [{}]}"
	for _, tc := range []struct{ name, doc, err string }{
		{"a CiliumNetworkPolicy needs a namespace", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}" + rule, "ciliumnetworkpolicy p: metadata.namespace: required"},
		{"a CiliumClusterwideNetworkPolicy needs a name", "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {}" + rule, "ciliumclusterwidenetworkpolicy: metadata.name: required"},
		{"a CiliumCIDRGroup needs a name", "apiVersion: cilium.io/v2\nkind: CiliumCIDRGroup\nmetadata: {}\nspec: {externalCIDRs: [10.0.0.0/8]}", "ciliumcidrgroup: metadata.name: required"},
		{"a Cilium version the table does not list is an error", "apiVersion: cilium.io/v1\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: prod}" + rule, "cilium.io/v1 CiliumNetworkPolicy: kind or version not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSnapshot([]runtime.Object{testObject(t, tc.doc)}, DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want it to contain %q", err, tc.err)
			}
		})
	}
}

func TestUnevaluatedOverlay(t *testing.T) {
	mnp := testObject(t, "apiVersion: k8s.cni.cncf.io/v1beta1\nkind: MultiNetworkPolicy\nmetadata: {name: p, namespace: prod}\nspec: {podSelector: {matchLabels: {app: db}}}")
	calicoNP := testObject(t, "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: prod}\nspec: {selector: all()}")
	k8sNP := testPolicies(t, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: prod}\nspec: {podSelector: {}}")[0]
	s := testSnapshot(t, DefaultOptions(), append(unevaluatedWorld(), mnp, calicoNP)...)

	t.Run("a Kubernetes NetworkPolicy of the same name replaces no Calico one", func(t *testing.T) {
		next, err := s.With(k8sNP)
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Unevaluated()) != 2 || len(next.PoliciesIn("prod")) != 1 {
			t.Errorf("unevaluated %v, NetworkPolicies %d; want both kept and the NetworkPolicy added", next.Unevaluated(), len(next.PoliciesIn("prod")))
		}
	})
	t.Run("a projectcalico.org/v3 object replaces the crd.projectcalico.org/v1 one of its name", func(t *testing.T) {
		v3 := testObject(t, "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: db, namespace: prod}\nspec: {selector: all()}")
		next, err := s.With(v3)
		if err != nil {
			t.Fatal(err)
		}
		if got := next.Unevaluated(); len(got) != 2 || got[0].Group != "projectcalico.org" {
			t.Errorf("unevaluated %v, want the v3 object in place of the v1 one", got)
		}
	})
	for _, tc := range []struct{ ref, want string }{
		{"multinetworkpolicy/prod/p", "1 Calico NetworkPolicy in prod"},
		{"multi-networkpolicies.k8s.cni.cncf.io/prod/p", "1 Calico NetworkPolicy in prod"},
		{"networkpolicy.projectcalico.org/prod/db", "1 MultiNetworkPolicy in prod"},
	} {
		t.Run("--without "+tc.ref, func(t *testing.T) {
			ref, err := ParseObjectRef(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			next, err := s.Without(ref)
			if err != nil {
				t.Fatal(err)
			}
			if got := next.Unevaluated().String(); got != tc.want {
				t.Errorf("left %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("networkpolicy/prod/db names the Kubernetes NetworkPolicy only", func(t *testing.T) {
		ref, err := ParseObjectRef("networkpolicy/prod/db")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Without(ref); err == nil || !strings.Contains(err.Error(), "no such object") {
			t.Errorf("error %v, want no such object: the Calico one is not a NetworkPolicy", err)
		}
	})
	t.Run("a cluster-scoped plugin kind is named KIND/NAME", func(t *testing.T) {
		ref, err := ParseObjectRef("globalnetworkpolicy/deny")
		if err != nil || ref != (ObjectRef{Kind: "GlobalNetworkPolicy", Group: "projectcalico.org", Name: "deny"}) || ref.String() != "globalnetworkpolicy.projectcalico.org/deny" {
			t.Errorf("ParseObjectRef = %+v (%s), %v", ref, ref, err)
		}
	})
}
