package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The tests of this file pin the rules of docs/semantics.md that
// TestSemantics, TestTiers and the other tests of the package leave
// unpinned. The world is baseObjects: x (env=prod) and y (env=dev) hold
// pods a and b, z (no labels) holds c.

// portsCase is a question without a port and the port set it answers.
type portsCase struct{ src, dst, want string }

// saysCase is a question whose answer (as JSON, traces, notes and warnings
// included) must contain want.
type saysCase struct{ src, dst, want string }

// TestSemanticsRules pins verdicts, port sets and what answers say.
func TestSemanticsRules(t *testing.T) {
	tests := []struct {
		name     string
		policies string // NetworkPolicies, in namespace x unless named
		cluster  string
		extra    []runtime.Object
		flows    []flowCase
		ports    []portsCase
		says     []saysCase
	}{
		{
			name: "a pair may use the ports both halves allow: the egress ports intersected with the ingress ports",
			policies: `
metadata: {name: a-out}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{ports: [{port: 80}, {port: 443}]}]
---
metadata: {name: b-in}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 443}, {port: 8080}]}]`,
			ports: []portsCase{{"x/a", "x/b", "TCP 443"}, {"x/a", "y/b", "TCP 80,443"}, {"y/a", "x/b", "TCP 443,8080"}},
		},
		{
			name: "the trace says when policyTypes was defaulted",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
---
metadata: {name: q}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]`,
			flows: []flowCase{{"y/a", "x/a:80", false}},
			says: []saysCase{
				{"y/a", "x/a:80", `{"name":"x/p","policyTypes":["Ingress"],"typesDefaulted":true}`},
				{"y/a", "x/a:80", `{"name":"x/q","policyTypes":["Ingress"]}`},
			},
		},
		{
			name: "the trace shows which peer shape was written: one entry with both selectors, or two entries",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {env: dev}}
      podSelector: {matchLabels: {app: b}}
  - from:
    - namespaceSelector: {matchLabels: {env: dev}}
    - podSelector: {matchLabels: {app: b}}`,
			flows: []flowCase{{"z/c", "x/a:80", false}},
			says: []saysCase{
				{"z/c", "x/a:80", "allow from pods {app=b} in namespaces {env=dev} on all ports"},
				{"z/c", "x/a:80", "allow from all pods in namespaces {env=dev} or pods {app=b} in namespace x on all ports"},
			},
		},
		{
			name: "the trace says a pod without a known IP cannot match an ipBlock",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]`,
			extra: []runtime.Object{testPod("x/noip", "app=n", "")},
			flows: []flowCase{{"x/noip", "x/a:80", false}},
			says:  []saysCase{{"x/noip", "x/a:80", "the pod's IP is not known (no status.podIP), so no ipBlock can match it"}},
		},
		{
			name: "a pod talking to itself is allowed with a note saying why",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`,
			flows: []flowCase{{"x/a", "x/a:80", true}},
			says:  []saysCase{{"x/a", "x/a:80", "a pod may always talk to itself"}},
		},
		{
			name: "a service port without targetPort sends to the service port; one whose named targetPort the pod lacks reaches nothing",
			extra: []runtime.Object{&corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "web"},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "a"}, Ports: []corev1.ServicePort{
					{Name: "http", Port: 8080},
					{Name: "metrics", Port: 9100, TargetPort: intstr.FromString("metrics")},
				}},
			}},
			flows: []flowCase{{"x/b", "svc/web:http", true}, {"x/b", "svc/web:8080", true}},
			ports: []portsCase{{"x/b", "svc/web", "TCP 8080"}},
			says:  []saysCase{{"x/b", "svc/web", "targetPort metrics: x/a declares no such port, so this service port reaches nothing on it"}},
		},
		{
			name: "Baseline Pass ends in allow, skipping the rest of the Baseline tier",
			cluster: `
metadata: {name: b-pass}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Pass, from: [{namespaces: {matchLabels: {env: dev}}}]}]
---
metadata: {name: b-deny}
spec:
  tier: Baseline
  priority: 2
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"z/c", "x/a:80", false}, {"y/a", "z/c:80", false}},
		},
		{
			name: "a Pass rule whose peer has no known field fails closed as Deny all, with a warning",
			policies: `
metadata: {name: allow-all}
spec: {podSelector: {}, ingress: [{}]}`,
			cluster: `
metadata: {name: pass-unknown}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Pass, from: [{}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", false}, {"x/b", "x/a:80", false}, {"x/a", "y/a:80", true}},
			says:  []saysCase{{"y/a", "x/a:80", "the Pass rule fails closed as Deny all"}},
		},
		{
			name: "a protocols entry with no known field: an Accept rule ignores it, a Deny rule becomes Deny all",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}}`,
			cluster: `
metadata: {name: accept-some}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Accept, from: [{namespaces: {}}], protocols: [{}, {tcp: {destinationPort: {number: 80}}}]}]
---
metadata: {name: deny-unknown-port}
spec:
  tier: Admin
  priority: 2
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: z}}}
  egress: [{action: Deny, to: [{networks: [203.0.113.0/24]}], protocols: [{}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"y/a", "x/a:81", false}, {"z/c", "198.51.100.1:80", false}, {"y/a", "198.51.100.1:80", true}},
		},
		{
			name: "an address range matches a networks peer of a Deny rule when it overlaps, of other rules only when it lies inside",
			policies: `
metadata: {name: deny-egress, namespace: "y"}
spec: {podSelector: {}, policyTypes: [Egress]}`,
			cluster: `
metadata: {name: deny-half}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress: [{action: Deny, to: [{networks: [198.51.100.128/25]}]}]
---
metadata: {name: accept-net}
spec:
  tier: Admin
  priority: 2
  subject: {namespaces: {matchLabels: {env: dev}}}
  egress: [{action: Accept, to: [{networks: [203.0.113.0/24]}]}]`,
			flows: []flowCase{
				{"x/a", "198.51.100.0/24:80", false}, {"x/a", "198.51.100.0/25:80", true},
				{"y/a", "203.0.113.0/25:80", true}, {"y/a", "203.0.112.0/23:80", false}, {"y/a", "203.0.113.9:80", true},
			},
		},
		{
			name: "a v1alpha1 namedPort matches the named container port with that port's own protocol",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}}`,
			cluster: `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Allow, from: [{namespaces: {}}], ports: [{namedPort: serve-81-udp}]}]`,
			flows: []flowCase{{"y/a", "x/a:81/udp", true}, {"y/a", "x/a:81", false}, {"y/a", "x/a:80", false}},
		},
		{
			name:  "a pod without a known IP matches no networks peer, and the answer names the rule that would apply",
			extra: []runtime.Object{testPod("x/noip", "app=n", "")},
			cluster: `
metadata: {name: no-ten}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress: [{action: Deny, to: [{networks: [10.0.0.0/8]}]}]`,
			flows: []flowCase{{"x/a", "x/noip:80", true}, {"x/a", "y/a:80", false}},
			says:  []saysCase{{"x/a", "x/noip:80", "x/noip has no known IP (no status.podIPs), so ClusterNetworkPolicy/no-ten spec.egress[0].to[0] (Deny 10.0.0.0/8) cannot match it"}},
		},
		{
			name: "domain names match nothing offline, and the answer says so",
			cluster: `
metadata: {name: allow-list}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress:
  - {action: Accept, to: [{domainNames: [example.com]}]}
  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}`,
			flows: []flowCase{{"x/a", "203.0.113.9:443", false}, {"y/a", "203.0.113.9:443", true}},
			says:  []saysCase{{"x/a", "203.0.113.9:443", "domain names are resolved at run time and cannot be judged offline"}},
		},
		{
			name: "nodes peers without Node objects match no address, and the answer says so",
			cluster: `
metadata: {name: no-kubelet}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {}}], protocols: [{tcp: {destinationPort: {number: 10250}}}]}]`,
			flows: []flowCase{{"x/a", "192.168.0.1:10250", true}},
			says:  []saysCase{{"x/a", "192.168.0.1:10250", "selects nodes, but no Node objects were given"}},
		},
		{
			name:  "a nodes peer matches a host-network pod that holds its node's address",
			extra: []runtime.Object{testNode("n1", "role=worker", "192.168.0.1"), hostNetworkPod("x/agent", "app=agent", "192.168.0.1")},
			cluster: `
metadata: {name: dev-not-to-nodes}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: dev}}}
  egress: [{action: Deny, to: [{nodes: {}}]}]`,
			flows: []flowCase{{"y/a", "x/agent:80", false}, {"y/a", "x/a:80", true}, {"x/b", "x/agent:80", true}},
		},
		{
			name: "ClusterNetworkPolicy and AdminNetworkPolicy are judged together by priority, with a warning",
			cluster: `
metadata: {name: deny-all-in}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: dev-in}
spec:
  priority: 3
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Allow, from: [{namespaces: {matchLabels: {env: dev}}}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"z/c", "x/a:80", false}},
			says:  []saysCase{{"y/a", "x/a:80", "they are judged together, tier by tier and by priority"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(baseObjects(), tc.extra...)
			objs = append(objs, testPolicies(t, tc.policies)...)
			objs = append(objs, testClusterPolicies(t, tc.cluster)...)
			s := testSnapshot(t, DefaultOptions(), objs...)
			for _, f := range tc.flows {
				if got := can(t, s, f.src, f.dst).Allowed; got != f.want {
					t.Errorf("can %s %s = %v, want %v", f.src, f.dst, got, f.want)
				}
			}
			for _, pc := range tc.ports {
				if diff := cmp.Diff(pc.want, can(t, s, pc.src, pc.dst).AllowedPorts.String()); diff != "" {
					t.Errorf("allowed ports %s -> %s (-want +got):\n%s", pc.src, pc.dst, diff)
				}
			}
			for _, sc := range tc.says {
				if got := answerText(t, can(t, s, sc.src, sc.dst)); !strings.Contains(got, sc.want) {
					t.Errorf("can %s %s does not say %q:\n%s", sc.src, sc.dst, sc.want, got)
				}
			}
			checkFastPathAgrees(t, s)
		})
	}
}

// answerText is the answer as JSON, without HTML escaping, for substring
// checks of its traces, notes and warnings.
func answerText(t *testing.T, ans *Answer) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ans); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSemanticsRulesInvalidInput pins that input the API server or the
// CRDs would reject is an error naming the field, never a guess.
func TestSemanticsRulesInvalidInput(t *testing.T) {
	tests := []struct {
		name     string
		policies string
		cluster  string
		extra    []runtime.Object
		wantErr  string
	}{
		{name: "a port name that is not a valid port name is an error", policies: `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: web_http}]}]`, wantErr: `spec.ingress[0].ports[0].port: invalid port name "web_http"`},
		{name: "a NetworkPolicy without a name is an error", policies: `
metadata: {namespace: x}
spec: {podSelector: {}}`, wantErr: "metadata.name: required"},
		{name: "an AdminNetworkPolicy spells Accept as Allow", cluster: `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]`, wantErr: `spec.ingress[0].action: "Accept" is not Allow, Deny, Pass`},
		{name: "a BaselineAdminNetworkPolicy rule may not Pass", cluster: `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Pass, from: [{namespaces: {}}]}]`, wantErr: `spec.ingress[0].action: "Pass" is not Allow, Deny`},
		{name: "a protocols entry with two fields is an error", cluster: `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}, udp: {destinationPort: {number: 53}}}]}]`, wantErr: "spec.ingress[0].protocols[0]: exactly one field may be set"},
		{name: "a subject with both namespaces and pods is an error", cluster: `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}`, wantErr: "spec.subject: exactly one of namespaces and pods may be set"},
		{name: "a workload given twice is an error",
			extra:   []runtime.Object{deployment("x/web", "app=web"), deployment("x/web", "app=web")},
			wantErr: "deployment x/web is given twice"},
		{name: "an object of a kind the engine does not read is an error",
			extra:   []runtime.Object{&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "settings"}}},
			wantErr: "core/v1 ConfigMap x/settings: kind or version not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(baseObjects(), tc.extra...)
			objs = append(objs, testPolicies(t, tc.policies)...)
			objs = append(objs, testClusterPolicies(t, tc.cluster)...)
			_, err := NewSnapshot(objs, DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewSnapshot error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestSemanticsRulesUnanswerable pins the questions that are errors
// because the answer would have to guess.
func TestSemanticsRulesUnanswerable(t *testing.T) {
	services := []runtime.Object{
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "external"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "ghost"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "ghost"}, Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "misnamed"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "a"}, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("nope")}}}},
		deployment("x/web", "app=web"),
	}
	nodes := testClusterPolicies(t, `
metadata: {name: no-kubelet}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {}}]}]`)
	tests := []struct {
		name       string
		objs       []runtime.Object
		standIns   bool
		unreadable []string // "kind namespace"
		src, dst   string
		wantErr    string
	}{
		{name: "a service without a selector is an error: its backends are not known", objs: services, standIns: true,
			src: "x/b", dst: "svc/external:80", wantErr: "service x/external has no selector, so its backends are not known"},
		{name: "a service that selects no pod is an error", objs: services, standIns: true,
			src: "x/b", dst: "svc/ghost:80", wantErr: "service x/ghost selects no pod ({app=ghost})"},
		{name: "a service port whose named targetPort no backing pod declares is an error", objs: services, standIns: true,
			src: "x/b", dst: "svc/misnamed:80", wantErr: "targetPort nope: x/a declares no such port"},
		{name: "a workload without pods runs nothing when workloads get no stand-ins (a live cluster)", objs: services,
			src: "x/a", dst: "deploy/web", wantErr: "deployment x/web runs no pod"},
		{name: "a name that may be a service is an error when Services could not be read", objs: services, standIns: true,
			unreadable: []string{"services x"}, src: "x/a", dst: "cache", wantErr: "not a pod or workload, and services in namespace x could not be read"},
		{name: "a name that may be a workload is an error when its kind could not be read", objs: services, standIns: true,
			unreadable: []string{"statefulsets x"}, src: "x/a", dst: "cache", wantErr: "not a pod, and statefulsets in namespace x could not be read"},
		{name: "an address that may be a node's is an error when Nodes could not be read and a policy names nodes", objs: nodes, standIns: true,
			unreadable: []string{"nodes "}, src: "x/a", dst: "192.168.0.1:10250", wantErr: "192.168.0.1:10250 may be a node's address: cluster policy ClusterNetworkPolicy/no-kubelet selects nodes"},
		{name: "a host-network pod may be a node's address too", objs: append([]runtime.Object{hostNetworkPod("x/agent", "app=agent", "192.168.0.1")}, nodes...), standIns: true,
			unreadable: []string{"nodes "}, src: "y/a", dst: "x/agent:80", wantErr: "x/agent:80 may be a node's address: cluster policy ClusterNetworkPolicy/no-kubelet selects nodes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.WorkloadStandIns = tc.standIns
			s := testSnapshot(t, opts, append(baseObjects(), tc.objs...)...)
			for _, u := range tc.unreadable {
				kind, ns, _ := strings.Cut(u, " ")
				s.MarkUnreadable(kind, ns, errors.New("forbidden"))
			}
			f, err := ParseFlow([]string{tc.src, tc.dst})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Can(f, "x"); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("can %s %s error = %v, want it to contain %q", tc.src, tc.dst, err, tc.wantErr)
			}
		})
	}
}

// TestSemanticsRulesWhatIf pins how --with and --without change a
// snapshot.
func TestSemanticsRulesWhatIf(t *testing.T) {
	base := func(t *testing.T) *Snapshot {
		objs := append(baseObjects(), deployment("x/web", "app=web"), ownedPod("x/web-1", "app=web", "10.0.0.9", "Deployment", "web"))
		objs = append(objs, testPolicies(t, `
metadata: {name: p}
spec: {podSelector: {}, ingress: [{}]}`)...)
		return testSnapshot(t, DefaultOptions(), objs...)
	}
	pods := func(t *testing.T, s *Snapshot, endpoint string) string {
		spec, err := ParseEndpoint(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.Resolve(spec, "x")
		if err != nil {
			return "error: " + err.Error()
		}
		return strings.Join(e.Pods, ",")
	}
	t.Run("with an object replaces the one of the same kind, namespace and name", func(t *testing.T) {
		next, err := base(t).With(testPolicies(t, `
metadata: {name: p}
spec: {podSelector: {}}`)...)
		if err != nil {
			t.Fatal(err)
		}
		if can(t, next, "y/a", "x/a:80").Allowed {
			t.Error("y/a -> x/a:80 allowed: the replaced allow-all still applies")
		}
	})
	t.Run("with a workload replaces the pods it ran by one stand-in from its new template", func(t *testing.T) {
		s := base(t)
		if got := pods(t, s, "deploy/web"); got != "x/web-1" {
			t.Fatalf("before: deploy/web runs %s, want x/web-1", got)
		}
		next, err := s.With(deployment("x/web", "app=web2"))
		if err != nil {
			t.Fatal(err)
		}
		if got := pods(t, next, "deploy/web"); got != "x/web" {
			t.Errorf("after: deploy/web runs %s, want its stand-in x/web", got)
		}
		if got := pods(t, next, "app=web2"); got != "x/web" {
			t.Errorf("the stand-in does not carry the new template's labels: app=web2 matches %s", got)
		}
	})
	t.Run("without a namespace removes everything in it", func(t *testing.T) {
		next, err := base(t).Without(ObjectRef{Kind: "Namespace", Name: "y"})
		if err != nil {
			t.Fatal(err)
		}
		if got := pods(t, next, "y/a"); !strings.Contains(got, "namespace y does not exist") {
			t.Errorf("y/a resolves to %q after deleting namespace y", got)
		}
	})
	t.Run("without a workload removes its pods", func(t *testing.T) {
		next, err := base(t).Without(ObjectRef{Kind: "Deployment", Namespace: "x", Name: "web"})
		if err != nil {
			t.Fatal(err)
		}
		if got := pods(t, next, "web-1"); !strings.HasPrefix(got, "error: ") {
			t.Errorf("pod web-1 of the deleted deployment still resolves to %s", got)
		}
	})
	t.Run("without an object the snapshot does not hold is an error", func(t *testing.T) {
		_, err := base(t).Without(ObjectRef{Kind: "NetworkPolicy", Namespace: "x", Name: "nope"})
		if err == nil || !strings.Contains(err.Error(), "--without networkpolicy/x/nope: no such object") {
			t.Errorf("err = %v, want no such object", err)
		}
	})
}

// TestSemanticsRulesMapIsolation pins when the map calls a workload
// isolated: NetworkPolicy isolates it in that direction, or a cluster
// policy Deny rule applies to it there. Accept and Pass rules restrict
// nothing.
func TestSemanticsRulesMapIsolation(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: deny-in}
spec: {podSelector: {matchLabels: {app: a}}, policyTypes: [Ingress]}`)...)
	objs = append(objs, testClusterPolicies(t, `
metadata: {name: dev-out}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: dev}}}
  egress: [{action: Deny, to: [{networks: [203.0.113.0/24]}]}]
---
metadata: {name: z-in}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: z}}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]
---
metadata: {name: b-pass}
spec:
  tier: Admin
  priority: 2
  subject: {pods: {namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: {app: b}}}}
  ingress: [{action: Pass, from: [{namespaces: {}}]}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	got := map[string][2]bool{}
	for _, n := range s.Graph(GraphOptions{}).Nodes {
		if n.Kind != "External" {
			got[n.ID] = [2]bool{n.IngressIsolated, n.EgressIsolated}
		}
	}
	want := map[string][2]bool{
		"pod x/a": {true, false}, "pod x/b": {false, false},
		"pod y/a": {false, true}, "pod y/b": {false, true},
		"pod z/c": {false, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("[ingress, egress] isolated per node (-want +got):\n%s", diff)
	}
}

// TestSemanticsRulesAudit pins the audit findings about cluster policies
// that the command's golden files do not show: rules that fail closed, and
// domain names no offline answer can judge.
func TestSemanticsRulesAudit(t *testing.T) {
	objs := append(baseObjects(), testClusterPolicies(t, `
metadata: {name: newer}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Deny, from: [{}]}]
---
metadata: {name: domains}
spec:
  tier: Admin
  priority: 2
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress: [{action: Accept, to: [{domainNames: [example.com]}]}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	type finding struct{ Severity, Check, Object, Field string }
	var got []finding
	for _, f := range s.Audit(AuditOptions{Namespaces: []string{"x"}}).Findings {
		if strings.HasPrefix(f.Object, "clusternetworkpolicy ") {
			got = append(got, finding{string(f.Severity), f.Check, f.Object, f.Field})
		}
	}
	want := []finding{
		{"high", "cluster-policy-fails-closed", "clusternetworkpolicy newer", ""},
		{"low", "domain-names-unevaluable", "clusternetworkpolicy domains", "spec.egress[0].to[0]"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cluster policy findings (-want +got):\n%s", diff)
	}
}

// TestSemanticsRulesAuditDefaultDeny pins when a namespace lacks a default
// deny: no NetworkPolicy selecting every pod of it isolates the direction
// and allows nothing, and no cluster policy whose subject is the whole
// namespace has a Deny rule in that direction.
func TestSemanticsRulesAuditDefaultDeny(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: default-deny, namespace: "y"}
spec: {podSelector: {}, policyTypes: [Egress]}
---
metadata: {name: deny-c, namespace: z}
spec: {podSelector: {matchLabels: {app: c}}, policyTypes: [Ingress]}`)...)
	objs = append(objs, testClusterPolicies(t, `
metadata: {name: prod-in}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}]}]
---
metadata: {name: some-pods-out}
spec:
  tier: Admin
  priority: 1
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}
  egress: [{action: Deny, to: [{networks: [203.0.113.0/24]}]}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	var got []string
	for _, f := range s.Audit(AuditOptions{Namespaces: []string{"x", "y", "z"}}).Findings {
		if strings.HasPrefix(f.Check, "no-default-deny-") {
			got = append(got, f.Check+" "+f.Object)
		}
	}
	want := []string{
		"no-default-deny-ingress namespace y", "no-default-deny-ingress namespace z",
		"no-default-deny-egress namespace x", "no-default-deny-egress namespace z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default deny findings (-want +got):\n%s", diff)
	}
}
