package query

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"
)

// testClusterPolicies parses ClusterNetworkPolicy (v1beta1 unless the
// document names another apiVersion), AdminNetworkPolicy and
// BaselineAdminNetworkPolicy documents, strictly.
func testClusterPolicies(t testing.TB, docs string) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	for _, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("bad test policy: %v\n%s", err, doc)
		}
		var obj runtime.Object
		switch {
		case tm.Kind == "AdminNetworkPolicy":
			obj = &npav1alpha1.AdminNetworkPolicy{}
		case tm.Kind == "BaselineAdminNetworkPolicy":
			obj = &npav1alpha1.BaselineAdminNetworkPolicy{}
		case tm.APIVersion == "policy.networking.k8s.io/v1alpha2":
			obj = &npav1alpha2.ClusterNetworkPolicy{}
		default:
			obj = &npav1beta1.ClusterNetworkPolicy{}
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("bad test policy: %v\n%s", err, doc)
		}
		out = append(out, obj)
	}
	return out
}

// TestTiers pins the evaluation order of cluster-scoped policies: Admin
// tier by priority with Accept, Deny and Pass; NetworkPolicy; Baseline
// tier; then allow. The world is baseObjects: x (env=prod) and y
// (env=dev) hold pods a and b, z holds c.
func TestTiers(t *testing.T) {
	tests := []struct {
		name     string
		policies string // NetworkPolicies, in namespace x unless named
		cluster  string
		extra    []runtime.Object
		flows    []flowCase
	}{
		{
			name: "Admin Deny wins over a NetworkPolicy allow",
			policies: `
metadata: {name: allow-all}
spec: {podSelector: {}, ingress: [{}]}`,
			cluster: `
metadata: {name: deny-dev}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {name: no-dev, action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}]}`,
			flows: []flowCase{{"y/a", "x/a:80", false}, {"x/b", "x/a:80", true}, {"z/c", "x/a:80", true}},
		},
		{
			name: "Admin Accept wins over NetworkPolicy isolation",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}}`,
			cluster: `
metadata: {name: accept-monitoring}
spec:
  tier: Admin
  priority: 5
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}
  ingress:
  - {action: Accept, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: z}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}`,
			flows: []flowCase{{"z/c", "x/a:80", true}, {"z/c", "x/a:81", false}, {"z/c", "x/b:80", false}, {"y/a", "x/a:80", false}},
		},
		{
			name: "Pass hands the flow to NetworkPolicy and skips the rest of the Admin tier",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}}`,
			cluster: `
metadata: {name: pass-prod}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {action: Pass, from: [{namespaces: {}}]}
---
metadata: {name: accept-all}
spec:
  tier: Admin
  priority: 2
  subject: {namespaces: {}}
  ingress:
  - {action: Accept, from: [{namespaces: {}}]}`,
			flows: []flowCase{{"y/a", "x/a:80", false}, {"x/a", "y/b:80", true}},
		},
		{
			name: "lower priority value is evaluated first",
			cluster: `
metadata: {name: a-accept}
spec:
  tier: Admin
  priority: 20
  subject: {namespaces: {}}
  ingress: [{action: Accept, from: [{namespaces: {}}]}]
---
metadata: {name: z-deny}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", false}, {"x/a", "y/a:80", true}},
		},
		{
			name: "within a policy the first matching rule decides",
			cluster: `
metadata: {name: ordered}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: b}}}}]}
  - {action: Deny, from: [{namespaces: {}}]}`,
			flows: []flowCase{{"y/b", "x/a:80", true}, {"y/a", "x/a:80", false}, {"x/b", "x/a:80", true}},
		},
		{
			name: "Baseline applies only where NetworkPolicy does not isolate",
			policies: `
metadata: {name: allow-y}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {env: dev}}}]}]`,
			cluster: `
metadata: {name: baseline-deny}
spec:
  tier: Baseline
  priority: 10
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"y/a", "x/b:80", false}, {"x/a", "y/a:80", false}, {"203.0.113.9", "x/b:80", true}},
		},
		{
			name: "NetworkPolicy isolation is per direction: egress of an ingress-isolated pod reaches the Baseline tier",
			policies: `
metadata: {name: ingress-only}
spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{}]}`,
			cluster: `
metadata: {name: baseline-egress}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress: [{action: Deny, to: [{networks: [0.0.0.0/0]}]}]`,
			flows: []flowCase{{"x/a", "203.0.113.9:443", false}, {"x/a", "y/a:80", false}, {"x/a", "z/c:80", true}, {"y/a", "x/a:80", true}},
		},
		{
			name: "Baseline Accept and no match both end in allow; Baseline Deny denies",
			cluster: `
metadata: {name: b}
spec:
  tier: Baseline
  priority: 1
  subject: {namespaces: {}}
  egress:
  - {action: Accept, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: b}}}}]}
  - {action: Deny, to: [{namespaces: {matchLabels: {env: dev}}}]}`,
			flows: []flowCase{{"x/a", "y/b:80", true}, {"x/a", "y/a:80", false}, {"x/a", "x/a:80", true}, {"x/a", "x/b:80", true}},
		},
		{
			name: "protocols: a number, a range, a named port; other ports fall through",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}}`,
			cluster: `
metadata: {name: ports}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - action: Accept
    from: [{namespaces: {}}]
    protocols:
    - tcp: {destinationPort: {number: 443}}
    - tcp: {destinationPort: {range: {start: 8000, end: 8080}}}
    - destinationNamedPort: serve-81-udp
    - sctp: {destinationPort: {number: 82}}`,
			flows: []flowCase{{"y/a", "x/a:443", true}, {"y/a", "x/a:8080", true}, {"y/a", "x/a:8081", false}, {"y/a", "x/a:81/udp", true}, {"y/a", "x/a:81", false}, {"y/a", "x/a:82/sctp", true}, {"y/a", "x/a:80", false}},
		},
		{
			name: "a rule that denies some ports leaves the others to NetworkPolicy",
			policies: `
metadata: {name: allow-all}
spec: {podSelector: {}, ingress: [{}]}`,
			cluster: `
metadata: {name: no-ssh}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 22}}}]}]`,
			flows: []flowCase{{"y/a", "x/a:22", false}, {"y/a", "x/a:80", true}, {"y/a", "x/a:22/udp", true}},
		},
		{
			name: "networks match addresses outside and pod IPs inside the cluster",
			cluster: `
metadata: {name: nets}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress:
  - {action: Accept, to: [{networks: [10.0.1.2/32]}]}
  - {action: Deny, to: [{networks: [10.0.0.0/16, 198.51.100.0/24]}]}`,
			flows: []flowCase{{"x/a", "y/b:80", true}, {"x/a", "y/a:80", false}, {"x/a", "198.51.100.7:443", false}, {"x/a", "203.0.113.9:443", true}, {"x/a", "z/c:80", true}},
		},
		{
			name: "ingress rules select pods only: traffic from outside the cluster matches none",
			cluster: `
metadata: {name: deny-all-in}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`,
			flows: []flowCase{{"203.0.113.9", "x/a:80", true}, {"y/a", "x/a:80", false}},
		},
		{
			name: "a pod may always talk to itself",
			cluster: `
metadata: {name: deny-all}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
  egress: [{action: Deny, to: [{namespaces: {}}]}]`,
			flows: []flowCase{{"x/a", "x/a:80", true}, {"x/a", "x/b:80", false}},
		},
		{
			name:  "host-network pods are neither subjects nor pod peers",
			extra: []runtime.Object{hostNetworkPod("x/h", "app=a", "192.168.0.10")},
			cluster: `
metadata: {name: deny-prod}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`,
			flows: []flowCase{{"y/a", "x/h:80", true}, {"x/h", "x/a:80", true}, {"y/a", "x/a:80", false}},
		},
		{
			name: "a peer with no known field fails closed: ignored by Accept, Deny all for Deny",
			cluster: `
metadata: {name: accept-unknown}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress: [{action: Accept, from: [{}]}]
---
metadata: {name: deny-unknown}
spec:
  tier: Admin
  priority: 2
  subject: {namespaces: {matchLabels: {env: dev}}}
  egress: [{action: Deny, to: [{}]}]`,
			flows: []flowCase{{"z/c", "x/a:80", true}, {"y/a", "z/c:80", false}, {"y/a", "203.0.113.9:80", false}},
		},
		{
			name: "v1alpha1: AdminNetworkPolicy Allow/Deny/Pass and the BaselineAdminNetworkPolicy",
			policies: `
metadata: {name: allow-b}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: b}}}]}]`,
			cluster: `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: anp}
spec:
  priority: 3
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {action: Pass, from: [{namespaces: {matchLabels: {env: dev}}}], ports: [{portNumber: {protocol: TCP, port: 80}}]}
  - {action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}]}
  - {action: Allow, from: [{namespaces: {}}], ports: [{portRange: {start: 9000, end: 9100}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: z}}}]}]`,
			flows: []flowCase{{"y/b", "x/a:80", true}, {"y/a", "x/a:80", false}, {"y/b", "x/a:81", false}, {"z/c", "x/a:9050", true}, {"z/c", "x/b:80", false}, {"x/a", "x/b:80", true}},
		},
		{
			name: "v1alpha2 reads as v1beta1",
			cluster: `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: old}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {env: prod}}}
  egress: [{action: Deny, to: [{namespaces: {matchLabels: {env: dev}}}]}]`,
			flows: []flowCase{{"x/a", "y/a:80", false}, {"x/a", "z/c:80", true}},
		},
		{
			name:  "nodes peers match node addresses",
			extra: []runtime.Object{testNode("n1", "role=worker", "192.168.0.1"), testNode("n2", "role=infra", "192.168.0.2")},
			cluster: `
metadata: {name: no-workers}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {matchLabels: {role: worker}}}]}]`,
			flows: []flowCase{{"x/a", "192.168.0.1:10250", false}, {"x/a", "192.168.0.2:10250", true}},
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
			checkFastPathAgrees(t, s)
		})
	}
}

func hostNetworkPod(key, lbls, ip string) *corev1.Pod {
	p := testPod(key, lbls, ip)
	p.Spec.HostNetwork = true
	return p
}

func testNode(name, lbls, ip string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: mustLabels(lbls)},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}}}
}

// TestInvalidClusterPolicies: what the CRDs' validation rejects is an
// error naming the field, never a guess.
func TestInvalidClusterPolicies(t *testing.T) {
	tests := []struct{ name, policy, wantErr string }{
		{"unknown tier", `
metadata: {name: p}
spec: {tier: Middle, priority: 1, subject: {namespaces: {}}}`, `spec.tier: "Middle" is not Admin or Baseline`},
		{"priority out of range", `
metadata: {name: p}
spec: {tier: Admin, priority: 1001, subject: {namespaces: {}}}`, "spec.priority: 1001 is not within 0..1000"},
		{"no subject", `
metadata: {name: p}
spec: {tier: Admin, priority: 1, subject: {}}`, "spec.subject: one of namespaces and pods must be set"},
		{"unknown action", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Allow, from: [{namespaces: {}}]}]`, `spec.ingress[0].action: "Allow" is not Accept, Deny, Pass`},
		{"two fields in one peer", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{namespaces: {}, networks: [10.0.0.0/8]}]}]`, "spec.egress[0].to[0]: exactly one of"},
		{"invalid CIDR", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{networks: [10.0.0.0/33]}]}]`, `spec.egress[0].to[0].networks[0]: invalid CIDR "10.0.0.0/33"`},
		{"CIDR with host bits", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{networks: [10.0.0.1/8]}]}]`, "has host bits set"},
		{"empty protocols", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: []}]`, "spec.ingress[0].protocols: must hold at least one entry"},
		{"range start not below end", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 90, end: 80}}}}]}]`, "spec.ingress[0].protocols[0]: range 90-80"},
		{"domain names on a Deny rule", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{domainNames: [example.com]}]}]`, "only Accept rules may name domains"},
		{"no peers", `
metadata: {name: p}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: []}]`, "spec.ingress[0].from: must hold at least one peer"},
		{"baseline not named default", `
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: other}
spec: {subject: {namespaces: {}}}`, `must be named "default"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(baseObjects(), testClusterPolicies(t, tc.policy)...)
			_, err := NewSnapshot(objs, DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewSnapshot error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestTierTraces pins what a trace says: the rule that decided, with its
// tier, priority, name and action, and after a Pass the NetworkPolicy rule.
func TestTierTraces(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: allow-y}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {env: dev}}}], ports: [{port: 80}]}]`)...)
	objs = append(objs, testClusterPolicies(t, `
metadata: {name: pass-dev}
spec:
  tier: Admin
  priority: 7
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {name: deny-udp, action: Deny, from: [{namespaces: {}}], protocols: [{udp: {destinationPort: {range: {start: 1, end: 65535}}}}]}
  - {name: dev-to-np, action: Pass, from: [{namespaces: {matchLabels: {env: dev}}}]}`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	in := can(t, s, "y/a", "x/a:80").Pairs[0].Ingress
	if !in.Allowed || in.DecidedBy != "NetworkPolicy" || len(in.Tiers) != 1 || in.Tiers[0].RuleName != "dev-to-np" || in.Tiers[0].Action != ActionPass ||
		*in.Tiers[0].Priority != 7 || len(in.Rules) != 1 || in.Rules[0].Policy != "x/allow-y" {
		t.Errorf("TCP 80 trace = %+v; want Pass by dev-to-np (priority 7), then x/allow-y allowing", in)
	}
	in = can(t, s, "y/a", "x/a:53/udp").Pairs[0].Ingress
	if in.Allowed || in.DecidedBy != "Admin" || len(in.Tiers) != 1 || in.Tiers[0].RuleName != "deny-udp" || in.Tiers[0].MatchedPeer != "spec.ingress[0].from[0]" || len(in.Rules) != 0 {
		t.Errorf("UDP 53 trace = %+v; want Deny by deny-udp and no NetworkPolicy rules", in)
	}
	all := can(t, s, "y/a", "x/a").Pairs[0].Ingress
	if got := all.AllowedPorts.String(); got != "TCP 80" {
		t.Errorf("allowed ports = %s, want TCP 80 (UDP denied by the Admin tier, the rest left to NetworkPolicy)", got)
	}
}

// TestNodesUnknown pins that answers over many flows cannot be given when a
// cluster policy names nodes and Nodes could not be read, and can be when
// no policy names nodes.
func TestNodesUnknown(t *testing.T) {
	nodesPolicy := testClusterPolicies(t, `
metadata: {name: no-kubelet}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {}}], protocols: [{tcp: {destinationPort: {number: 10250}}}]}]`)
	podsPolicy := testClusterPolicies(t, `
metadata: {name: no-dev}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{namespaces: {matchLabels: {env: dev}}}]}]`)
	for _, tc := range []struct {
		name     string
		policies []runtime.Object
		wantErr  bool
	}{
		{"a nodes peer with Nodes unreadable fails", nodesPolicy, true},
		{"no nodes peer needs no Nodes", podsPolicy, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSnapshot(t, DefaultOptions(), append(baseObjects(), tc.policies...)...)
			if err := s.NodesUnknown(); err != nil {
				t.Fatalf("before marking nodes unreadable: %v", err)
			}
			s.MarkUnreadable("nodes", "", fmt.Errorf("forbidden"))
			err := s.NodesUnknown()
			if tc.wantErr != (err != nil) {
				t.Fatalf("NodesUnknown() = %v, want error: %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "nodes could not be read") {
				t.Errorf("error %q does not say nodes could not be read", err)
			}
		})
	}
}
