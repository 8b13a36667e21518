package query

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// flowCase is one question and its expected verdict: "x/a" "x/b:80" -> true.
type flowCase struct {
	src, dst string
	want     bool
}

// TestSemantics pins the NetworkPolicy rules of docs/semantics.md. Each case is named
// for the rule it pins; the flows are the smallest set that would catch the
// rule being broken in either direction.
func TestSemantics(t *testing.T) {
	tests := []struct {
		name     string
		policies string
		extra    []runtime.Object
		opts     *Options
		flows    []flowCase
	}{
		{
			name: "no policy: every pod is open in both directions",
			flows: []flowCase{
				{"x/a", "x/b:80", true}, {"x/a", "y/b:81/udp", true}, {"x/a", "203.0.113.9:443", true}, {"203.0.113.9", "x/a:80", true},
			},
		},
		{
			name: "a policy only selects pods in its own namespace",
			policies: `
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}}`,
			flows: []flowCase{{"x/b", "x/a:80", false}, {"x/a", "y/a:80", true}, {"y/b", "y/a:80", true}},
		},
		{
			name: "podSelector {} selects every pod of the namespace",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress]}`,
			flows: []flowCase{{"y/a", "x/a:80", false}, {"y/a", "x/b:80", false}},
		},
		{
			name: "policyTypes missing: Ingress always, so ingress is isolated",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}`,
			flows: []flowCase{{"x/b", "x/a:80", false}, {"x/a", "x/b:80", true}},
		},
		{
			name: "policyTypes missing and egress rules present: Egress is isolated too",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]`,
			flows: []flowCase{{"x/a", "x/b:80", true}, {"x/a", "y/b:80", false}, {"x/a", "203.0.113.9:80", false}},
		},
		{
			name: "policyTypes missing and egress: [] does not isolate egress",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  egress: []`,
			flows: []flowCase{{"x/a", "y/b:80", true}, {"x/a", "203.0.113.9:80", true}, {"x/b", "x/a:80", false}},
		},
		{
			name: "policyTypes [Egress] alone leaves ingress open",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  policyTypes: [Egress]`,
			flows: []flowCase{{"x/a", "x/b:80", false}, {"y/a", "x/b:80", true}},
		},
		{
			name: "isolation for one direction does not isolate the other",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]`,
			flows: []flowCase{{"x/a", "y/a:80", true}, {"y/a", "x/a:80", false}},
		},
		{
			name: "policies are additive: any rule of any selecting policy allows",
			policies: `
metadata: {name: from-b}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]
---
metadata: {name: from-dev}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {env: dev}}}]}]
---
metadata: {name: deny-all}
spec: {podSelector: {}}`,
			flows: []flowCase{{"x/b", "x/a:80", true}, {"y/a", "x/a:80", true}, {"z/c", "x/a:80", false}},
		},
		{
			name: "type Ingress with ingress: [] is default deny",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: []`,
			flows: []flowCase{{"x/b", "x/a:80", false}, {"203.0.113.9", "x/a:80", false}},
		},
		{
			name: "type Egress with no egress rules is default deny for egress",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  policyTypes: [Egress]`,
			flows: []flowCase{{"x/a", "203.0.113.9:53/udp", false}, {"x/a", "y/a:80", false}},
		},
		{
			name: "a flow needs both the source's egress and the destination's ingress",
			policies: `
metadata: {name: a-egress-to-b}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: b}}}]}]
---
metadata: {name: b-ingress-from-nobody}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress]`,
			flows: []flowCase{{"x/a", "x/b:80", false}, {"y/a", "x/a:80", true}},
		},
		{
			name: "a pod may always talk to itself",
			policies: `
metadata: {name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`,
			flows: []flowCase{{"x/a", "x/a:80", true}, {"x/a", "x/b:80", false}},
		},
		{
			name: "ingress: [{}] allows everything, also from outside the cluster",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"203.0.113.9", "x/a:9999/sctp", true}},
		},
		{
			name: "rule with from: [] matches every peer, including external addresses",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{from: [], ports: [{port: 80}]}]`,
			flows: []flowCase{{"203.0.113.9", "x/a:80", true}, {"z/c", "x/a:80", true}, {"z/c", "x/a:81", false}},
		},
		{
			name: "rule with ports missing matches every port of every protocol",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]`,
			flows: []flowCase{{"x/b", "x/a:1/tcp", true}, {"x/b", "x/a:65535/udp", true}, {"x/b", "x/a:5/sctp", true}},
		},
		{
			name: "several peers in one rule are OR",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: b}}
    - ipBlock: {cidr: 203.0.113.0/24}`,
			flows: []flowCase{{"x/b", "x/a:80", true}, {"203.0.113.9", "x/a:80", true}, {"198.51.100.1", "x/a:80", false}},
		},
		{
			name: "several ports in one rule are OR, and peer AND port must both match",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: 80}, {port: 81, protocol: UDP}]`,
			flows: []flowCase{{"x/b", "x/a:80", true}, {"x/b", "x/a:81/udp", true}, {"x/b", "x/a:81/tcp", false}, {"y/b", "x/a:80", false}},
		},
		{
			name: "podSelector alone means pods in the policy's namespace",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]`,
			flows: []flowCase{{"x/b", "x/a:80", true}, {"y/b", "x/a:80", false}},
		},
		{
			name: "namespaceSelector alone means every pod in matching namespaces",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {env: dev}}}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"y/b", "x/a:80", true}, {"x/b", "x/a:80", false}, {"z/c", "x/a:80", false}},
		},
		{
			name: "namespaceSelector {} is every pod in the cluster but not external addresses",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{namespaceSelector: {}}]}]`,
			flows: []flowCase{{"z/c", "x/a:80", true}, {"x/b", "x/a:80", true}, {"203.0.113.9", "x/a:80", false}},
		},
		{
			name: "namespaceSelector and podSelector in one peer are ANDed",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {env: dev}}
      podSelector: {matchLabels: {app: b}}`,
			flows: []flowCase{{"y/b", "x/a:80", true}, {"y/a", "x/a:80", false}, {"x/b", "x/a:80", false}},
		},
		{
			name: "namespaceSelector and podSelector as two peers are ORed",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {env: dev}}
    - podSelector: {matchLabels: {app: b}}`,
			flows: []flowCase{{"y/b", "x/a:80", true}, {"y/a", "x/a:80", true}, {"x/b", "x/a:80", true}, {"z/c", "x/a:80", false}},
		},
		{
			name: "podSelector {} with namespaceSelector selects all pods of those namespaces",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {env: dev}}
      podSelector: {}`,
			flows: []flowCase{{"y/b", "x/a:80", true}, {"x/b", "x/a:80", false}},
		},
		{
			name: "namespaces carry kubernetes.io/metadata.name, also when synthesised",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: w}}`,
			extra: []runtime.Object{testPod("w/d", "app=d", "10.0.9.9")},
			flows: []flowCase{{"w/d", "x/a:80", true}, {"y/a", "x/a:80", false}},
		},
		{
			name: "matchExpressions In and NotIn",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: env, operator: In, values: [dev, test]}]
      podSelector:
        matchExpressions: [{key: tier, operator: NotIn, values: [back]}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"y/b", "x/a:80", false}, {"z/c", "x/a:80", false}},
		},
		{
			name: "matchExpressions Exists and DoesNotExist",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: env, operator: DoesNotExist}]
    - podSelector:
        matchExpressions: [{key: tier, operator: Exists}]`,
			flows: []flowCase{{"z/c", "x/a:80", true}, {"x/b", "x/a:80", true}, {"y/b", "x/a:80", false}},
		},
		{
			name: "matchLabels and matchExpressions in one selector are ANDed",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: b}
        matchExpressions: [{key: tier, operator: In, values: [front]}]`,
			flows: []flowCase{{"x/b", "x/a:80", false}},
		},
		{
			name: "ipBlock matches cidr minus except",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.5.0/24]}}]`,
			flows: []flowCase{{"x/a", "192.168.1.1:80", true}, {"x/a", "192.168.5.10:80", false}, {"x/a", "10.1.1.1:80", false}},
		},
		{
			name: "ipBlock with IPv6 cidr and except",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:bad::/48"]}}]`,
			flows: []flowCase{{"x/a", "[2001:db8::1]:443", true}, {"x/a", "[2001:db8:bad::1]:443", false}, {"x/a", "192.168.1.1:443", false}},
		},
		{
			name: "ipBlock matches pod IPs by default",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.1.0/24}}]}]`,
			flows: []flowCase{{"y/a", "x/a:80", true}, {"x/b", "x/a:80", false}},
		},
		{
			name: "ipBlock does not match pod IPs when pod-IP matching is off",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]`,
			opts:  &Options{Profile: SpecProfile().With(BehaviourIPBlockPodIPs, No, "")},
			flows: []flowCase{{"y/a", "x/a:80", false}, {"10.200.0.1", "x/a:80", true}},
		},
		{
			name: "ipBlock never matches a pod without a known IP",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: "::/0"}}]}]`,
			extra: []runtime.Object{testPod("x/noip", "app=n", "")},
			flows: []flowCase{{"x/noip", "x/a:80", false}, {"y/a", "x/a:80", true}},
		},
		{
			name: "an external range matches ipBlock only when wholly inside cidr and outside except",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.5.0/24]}}]}]`,
			flows: []flowCase{{"x/a", "192.168.1.0/24:80", true}, {"x/a", "192.168.0.0/16:80", false}, {"x/a", "192.0.0.0/8:80", false}},
		},
		{
			name: "protocol defaults to TCP",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{port: 80}]}]`,
			flows: []flowCase{{"x/b", "x/a:80", true}, {"x/b", "x/a:80/udp", false}},
		},
		{
			name: "TCP, UDP and SCTP are distinct protocols",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{port: 81, protocol: UDP}, {port: 82, protocol: SCTP}]}]`,
			flows: []flowCase{{"x/b", "x/a:81/udp", true}, {"x/b", "x/a:82/sctp", true}, {"x/b", "x/a:81/tcp", false}, {"x/b", "x/a:82/udp", false}},
		},
		{
			name: "port missing means every port of that protocol",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{protocol: UDP}]}]`,
			flows: []flowCase{{"x/b", "x/a:1/udp", true}, {"x/b", "x/a:65535/udp", true}, {"x/b", "x/a:80/tcp", false}},
		},
		{
			name: "endPort makes an inclusive range",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{ports: [{port: 8000, endPort: 8080}]}]`,
			flows: []flowCase{{"x/b", "x/a:8000", true}, {"x/b", "x/a:8080", true}, {"x/b", "x/a:7999", false}, {"x/b", "x/a:8081", false}},
		},
		{
			name: "named ingress port resolves against the selected destination pod",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: serve-80-tcp}]}]`,
			extra: []runtime.Object{podWithPorts("x/alt", "app=alt", "10.0.0.7", corev1.ContainerPort{Name: "serve-80-tcp", ContainerPort: 8080, Protocol: corev1.ProtocolTCP})},
			flows: []flowCase{{"x/b", "x/a:80", true}, {"x/b", "x/alt:8080", true}, {"x/b", "x/alt:80", false}, {"x/b", "x/a:8080", false}},
		},
		{
			name: "named port must match the rule's protocol",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: serve-81-udp, protocol: TCP}, {port: dns, protocol: UDP}]}]`,
			flows: []flowCase{{"x/b", "x/a:81/udp", false}, {"x/b", "x/a:81/tcp", false}, {"x/b", "x/a:53/udp", true}},
		},
		{
			name: "named egress port resolves against the peer pod, never an external address",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{ports: [{port: serve-80-tcp}]}]`,
			extra: []runtime.Object{podWithPorts("y/alt", "app=alt", "10.0.1.7", corev1.ContainerPort{Name: "serve-80-tcp", ContainerPort: 8080, Protocol: corev1.ProtocolTCP})},
			flows: []flowCase{{"x/a", "y/b:80", true}, {"x/a", "y/alt:8080", true}, {"x/a", "y/alt:80", false}, {"x/a", "203.0.113.9:80", false}},
		},
		{
			name: "named port never matches an address outside the cluster, even with an ipBlock peer",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: serve-80-tcp}]}]`,
			flows: []flowCase{{"x/a", "203.0.113.9:80", false}, {"x/a", "x/b:80", true}},
		},
		{
			name: "ports of restartable init containers (sidecars) count for named ports",
			policies: `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: metrics}]}]`,
			extra: []runtime.Object{sidecarPod("x/side", "10.0.0.8")},
			flows: []flowCase{{"x/b", "x/side:9090", true}, {"x/b", "x/side:9091", false}},
		},
		{
			name: "pods in phase Succeeded or Failed take no part",
			extra: []runtime.Object{func() runtime.Object {
				p := testPod("x/done", "app=done", "10.0.0.9")
				p.Status.Phase = corev1.PodSucceeded
				return p
			}()},
			// 10.0.0.9 then belongs to no pod: it is an external address.
			flows: []flowCase{{"10.0.0.9", "x/a:80", true}},
		},
		{
			name: "a workload becomes one stand-in pod built from its template",
			policies: `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: http}]}]`,
			extra: []runtime.Object{deployment("x/web", "app=web", corev1.ContainerPort{Name: "http", ContainerPort: 8080})},
			flows: []flowCase{{"x/b", "x/web:8080", true}, {"x/b", "deploy/web:8080", true}, {"x/a", "x/web:8080", false}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tc.opts != nil {
				opts = *tc.opts
			}
			objs := append(baseObjects(), tc.extra...)
			objs = append(objs, testPolicies(t, tc.policies)...)
			s := testSnapshot(t, opts, objs...)
			for _, f := range tc.flows {
				if got := can(t, s, f.src, f.dst).Allowed; got != f.want {
					t.Errorf("can %s %s = %v, want %v", f.src, f.dst, got, f.want)
				}
			}
			checkFastPathAgrees(t, s)
		})
	}
}

func podWithPorts(key, lbls, ip string, ports ...corev1.ContainerPort) *corev1.Pod {
	p := testPod(key, lbls, ip)
	p.Spec.Containers[0].Ports = ports
	return p
}

func sidecarPod(key, ip string) *corev1.Pod {
	p := testPod(key, "app=side", ip)
	p.Spec.InitContainers = []corev1.Container{
		{Name: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}},
		{Name: "setup", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9091}}},
	}
	return p
}

func deployment(key, lbls string, ports ...corev1.ContainerPort) *appsv1.Deployment {
	ns, name, _ := strings.Cut(key, "/")
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: mustLabels(lbls)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
		}},
	}
}

// TestAllowedPortSets pins that answers are port sets, not enumerations.
func TestAllowedPortSets(t *testing.T) {
	objs := append(baseObjects(), testPolicies(t, `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - ports: [{port: 80}, {port: 443}, {port: 8000, endPort: 8080}, {port: 53, protocol: UDP}]
  - from: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: 9000, endPort: 9100}, {port: 8050, endPort: 8090}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	tests := []struct{ src, want string }{
		{"y/b", "TCP 80,443,8000-8080; UDP 53"},
		{"x/b", "TCP 80,443,8000-8090,9000-9100; UDP 53"},
	}
	for _, tc := range tests {
		got := can(t, s, tc.src, "x/a").AllowedPorts.String()
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("allowed ports %s -> x/a (-want +got):\n%s", tc.src, diff)
		}
	}
}

// TestInvalidPolicies pins that input the API server would reject is an
// error naming the field, never a guess.
func TestInvalidPolicies(t *testing.T) {
	tests := []struct{ name, policy, wantErr string }{
		{"ipBlock with a selector in one peer", `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]`, "spec.ingress[0].from[0]: ipBlock may not be combined"},
		{"peer with no field", `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{from: [{}]}]`, "spec.ingress[0].from[0]: must specify one of"},
		{"invalid CIDR", `
metadata: {name: p}
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 10.0.0/8}}]}]`, `spec.egress[0].to[0].ipBlock.cidr: invalid CIDR "10.0.0/8"`},
		{"except outside cidr", `
metadata: {name: p}
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]`, "ipBlock.except[0]"},
		{"endPort with a named port", `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: http, endPort: 90}]}]`, "spec.ingress[0].ports[0].endPort: may not be set when port is a named port"},
		{"endPort without port", `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{endPort: 90}]}]`, "endPort: may not be set without port"},
		{"endPort below port", `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 100, endPort: 90}]}]`, "endPort: 90 is less than port 100"},
		{"port out of range", `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 70000}]}]`, "spec.ingress[0].ports[0].port: 70000 is not between 1 and 65535"},
		{"unknown protocol", `
metadata: {name: p}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80, protocol: ICMP}]}]`, `spec.ingress[0].ports[0].protocol: unsupported value "ICMP"`},
		{"invalid selector operator", `
metadata: {name: p}
spec:
  podSelector: {matchExpressions: [{key: a, operator: Near}]}`, "spec.podSelector"},
		{"unknown policy type", `
metadata: {name: p}
spec:
  podSelector: {}
  policyTypes: [Sideways]`, `spec.policyTypes[0]: unsupported value "Sideways"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(baseObjects(), testPolicies(t, tc.policy)...)
			_, err := NewSnapshot(objs, DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewSnapshot error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// checkFastPathAgrees checks that the untraced evaluation used for many
// pairs gives the same port sets as the traced one, for every pod pair.
func checkFastPathAgrees(t *testing.T, s *Snapshot) {
	t.Helper()
	for _, src := range s.Pods() {
		for _, dst := range s.Pods() {
			fast := s.allowedPorts(podEnd(src), podEnd(dst))
			traced := can(t, s, src.Key(), dst.Key()).AllowedPorts
			if !fast.Equal(traced) {
				t.Errorf("%s -> %s: untraced %s, traced %s", src.Key(), dst.Key(), fast, traced)
			}
		}
	}
}
