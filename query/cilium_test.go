package query

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// ciliumObjects parses Cilium objects (and NetworkPolicies) from YAML
// documents; a CiliumNetworkPolicy without namespace is in x.
func ciliumObjects(t testing.TB, docs string) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	for _, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("bad test object: %v\n%s", err, doc)
		}
		if u.GetKind() == "NetworkPolicy" {
			out = append(out, testPolicies(t, doc)...)
			continue
		}
		if u.GetAPIVersion() == "" {
			u.SetAPIVersion("cilium.io/v2")
		}
		if u.GetKind() == KindCiliumNetworkPolicy && u.GetNamespace() == "" {
			u.SetNamespace("x")
		}
		out = append(out, u)
	}
	return out
}

// verdict is how a flow is expected to be judged.
type verdict3 string

const (
	vAllow     verdict3 = "allow"
	vDeny      verdict3 = "deny"
	vUndecided verdict3 = "undecided"
)

type ciliumFlow struct {
	src, dst string
	want     verdict3
}

func verdictOf(a *Answer) verdict3 {
	switch {
	case !a.Decided:
		return vUndecided
	case a.Allowed:
		return vAllow
	}
	return vDeny
}

// TestCiliumSemantics pins each rule of docs/semantics.md section 20 on
// CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, with
// NetworkPolicy beside them. The world is baseObjects: x (env=prod) and y
// (env=dev) with pods a (app=a) and b (app=b), z/c (IPv6).
func TestCiliumSemantics(t *testing.T) {
	tests := []struct {
		name    string
		objects string
		extra   []runtime.Object
		opts    *Options
		flows   []ciliumFlow
	}{
		{
			name: "a CNP selects endpoints of its own namespace only",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec: {endpointSelector: {}, ingress: [{}]}`,
			flows: []ciliumFlow{{"y/b", "x/a:80", vDeny}, {"x/b", "y/a:80", vAllow}},
		},
		{
			name: "ingress: [{}] is default deny: an empty rule allows nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec: {endpointSelector: {matchLabels: {app: a}}, ingress: [{}]}`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}, {"203.0.113.9", "x/a:80", vDeny}, {"x/a", "x/b:80", vAllow}, {"x/b", "x/b:80", vAllow}},
		},
		{
			name: "a rule isolates only the directions it has rules for",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec: {endpointSelector: {matchLabels: {app: a}}, ingress: [], egress: [{}]}`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vAllow}, {"x/a", "x/b:80", vDeny}},
		},
		{
			name: "fromEndpoints selectors are confined to the policy's namespace",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vAllow}, {"y/b", "x/a:80", vDeny}},
		},
		{
			name: "a selector naming the namespace reaches pods of that namespace",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: "y", app: b}}]}]`,
			flows: []ciliumFlow{{"y/b", "x/a:80", vAllow}, {"x/b", "x/a:80", vDeny}},
		},
		{
			name: "a CNP selector on namespace labels spans the namespaces it matches",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.env: dev}}]}]`,
			flows: []ciliumFlow{{"y/b", "x/a:80", vAllow}, {"x/b", "x/a:80", vDeny}},
		},
		{
			name: "a key without source matches any source, k8s: only pod labels, reserved: no pod",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {any:app: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {k8s:app: b}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {reserved:app: b}}]
    toPorts: [{ports: [{port: "81", protocol: UDP}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vAllow}, {"x/b", "x/a:81/udp", vDeny}},
		},
		{
			name: "labels Cilium leaves out of identities select nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {pod-template-hash: abc}}]}]`,
			extra: []runtime.Object{func() runtime.Object {
				p := testPod("x/h", "app=h,pod-template-hash=abc", "10.0.0.7")
				return p
			}()},
			flows: []ciliumFlow{{"x/h", "x/a:80", vDeny}},
		},
		{
			name: "a CCNP's fromEndpoints {} are every pod of every namespace, and nothing outside",
			objects: `
kind: CiliumClusterwideNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{}]}]`,
			flows: []ciliumFlow{{"y/b", "x/a:80", vAllow}, {"z/c", "y/a:80", vAllow}, {"203.0.113.9", "x/a:80", vDeny}},
		},
		{
			name: "an empty list of peers selects nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [], toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}},
		},
		{
			name: "a rule with only toPorts allows every peer on its ports, outside the cluster too",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]`,
			flows: []ciliumFlow{{"203.0.113.9", "x/a:80", vAllow}, {"y/b", "x/a:80", vAllow}, {"y/b", "x/a:81/udp", vDeny}},
		},
		{
			name: "toPorts without ports allows nothing",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{}], toPorts: [{}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}},
		},
		{
			name: "a rule of ICMP types allows no TCP, UDP or SCTP port",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{}], icmps: [{fields: [{type: 8}]}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}},
		},
		{
			name: "deny rules override the allows of any policy kind",
			objects: `
kind: NetworkPolicy
metadata: {name: allow-all}
spec: {podSelector: {}, ingress: [{}]}
---
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingressDeny: [{fromEndpoints: [{matchLabels: {app: b}}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}, {"y/a", "x/a:80", vAllow}},
		},
		{
			name: "a policy with only deny rules puts its endpoints in default deny",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingressDeny: [{fromEndpoints: [{matchLabels: {app: b}}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}, {"x/a", "x/a:80", vAllow}, {"203.0.113.9", "x/a:80", vDeny}},
		},
		{
			name: "enableDefaultDeny false: deny rules deny, the rest stays open",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  enableDefaultDeny: {ingress: false}
  ingressDeny: [{fromEndpoints: [{matchLabels: {app: b}}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}, {"203.0.113.9", "x/a:80", vAllow}},
		},
		{
			name: "enableDefaultDeny false: allow rules do not isolate, another policy still may",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: open}
spec:
  endpointSelector: {matchLabels: {app: a}}
  enableDefaultDeny: {ingress: false}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]
---
kind: CiliumNetworkPolicy
metadata: {name: closed, namespace: "y"}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{}]`,
			flows: []ciliumFlow{{"y/b", "x/a:80", vAllow}, {"x/b", "x/a:80", vAllow}},
		},
		{
			name: "a deny on one port leaves the other ports allowed",
			objects: `
kind: NetworkPolicy
metadata: {name: allow-all}
spec: {podSelector: {}, ingress: [{}]}
---
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {}
  ingressDeny: [{fromEndpoints: [{}], toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vDeny}, {"x/b", "x/a:81/udp", vAllow}, {"x/b", "x/a:8080", vAllow}},
		},
		{
			name: "CIDR rules match addresses outside the cluster, never pods",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress: [{toCIDR: [10.0.0.0/8]}]`,
			flows: []ciliumFlow{{"x/a", "10.9.9.9:443", vAllow}, {"x/a", "x/b:80", vDeny}, {"x/a", "203.0.113.9:443", vDeny}},
		},
		{
			name: "CIDR rules match pod IPs when policy-cidr-match-mode has pods",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress: [{toCIDR: [10.0.0.0/8]}]`,
			opts:  &Options{Profile: ciliumWith(map[string]string{"policy-cidr-match-mode": "pods"})},
			flows: []ciliumFlow{{"x/a", "x/b:80", vAllow}, {"x/a", "y/b:80", vAllow}},
		},
		{
			name: "toCIDRSet except leaves out its ranges",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress: [{toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]}]`,
			flows: []ciliumFlow{{"x/a", "192.0.2.1:80", vAllow}, {"x/a", "192.0.2.200:80", vDeny}},
		},
		{
			name: "cidrGroupRef names a CiliumCIDRGroup's prefixes; one not read is undecided",
			objects: `
kind: CiliumCIDRGroup
metadata: {name: partners}
spec: {externalCIDRs: [198.51.100.0/24]}
---
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toCIDRSet: [{cidrGroupRef: partners}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toCIDRSet: [{cidrGroupRef: missing}]
    toPorts: [{ports: [{port: "8443", protocol: TCP}]}]`,
			flows: []ciliumFlow{{"x/a", "198.51.100.7:443", vAllow}, {"x/a", "203.0.113.9:443", vDeny}, {"x/a", "203.0.113.9:8443", vUndecided}, {"x/a", "x/b:8443", vDeny}},
		},
		{
			name: "entity world is what is outside the cluster, cluster every pod of every namespace",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toEntities: [world]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toEntities: [cluster]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]`,
			flows: []ciliumFlow{{"x/a", "203.0.113.9:443", vAllow}, {"x/a", "x/b:443", vDeny}, {"x/a", "y/b:80", vAllow}, {"x/a", "203.0.113.9:80", vDeny}},
		},
		{
			name: "entity all is every peer, none no peer",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toEntities: [all]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toEntities: [none]`,
			flows: []ciliumFlow{{"x/a", "203.0.113.9:443", vAllow}, {"x/a", "y/b:443", vAllow}, {"x/a", "y/b:80", vDeny}},
		},
		{
			name: "the host and remote-node entities need the nodes: without Node objects, undecided",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress: [{toEntities: [host, remote-node]}]`,
			flows: []ciliumFlow{{"x/a", "203.0.113.9:10250", vUndecided}, {"x/a", "x/b:80", vDeny}},
		},
		{
			name: "the kube-apiserver entity is undecided for addresses, denied for pods",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress: [{toEntities: [kube-apiserver]}]`,
			flows: []ciliumFlow{{"x/a", "203.0.113.9:6443", vUndecided}, {"x/a", "x/b:6443", vDeny}},
		},
		{
			name: "toPorts protocol ANY is TCP and UDP, and SCTP only where Cilium enforces it",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{toPorts: [{ports: [{port: "80"}]}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80/tcp", vAllow}, {"x/b", "x/a:80/udp", vAllow}, {"x/b", "x/a:80/sctp", vDeny}},
		},
		{
			name: "port 0 is every port of its protocol, endPort a range",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress:
  - toPorts: [{ports: [{port: "0", protocol: UDP}, {port: "8000", endPort: 8080, protocol: TCP}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:5353/udp", vAllow}, {"x/b", "x/a:8080", vAllow}, {"x/b", "x/a:8081", vDeny}, {"x/b", "x/a:5353/tcp", vDeny}},
		},
		{
			name: "a named port resolves against the destination's container ports",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{toPorts: [{ports: [{port: serve-80-tcp, protocol: TCP}]}]}]
  egress: [{toPorts: [{ports: [{port: dns, protocol: UDP}]}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vAllow}, {"x/b", "x/a:81/udp", vDeny}, {"x/a", "y/b:53/udp", vAllow}, {"x/a", "203.0.113.9:53/udp", vDeny}},
		},
		{
			name: "toFQDNs is undecided for addresses outside the cluster and never matches pods",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toFQDNs: [{matchName: api.example.com}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]`,
			flows: []ciliumFlow{{"x/a", "203.0.113.9:443", vUndecided}, {"x/a", "203.0.113.9:80", vDeny}, {"x/a", "x/b:443", vDeny}},
		},
		{
			name: "toServices with a selector stands for the pods the Service selects",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress: [{toServices: [{k8sService: {serviceName: b, namespace: "y"}}]}]`,
			extra: []runtime.Object{&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "y", Name: "b"},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "b"}, Ports: []corev1.ServicePort{{Port: 80}}}}},
			flows: []ciliumFlow{{"x/a", "y/b:80", vAllow}, {"x/a", "x/b:80", vDeny}},
		},
		{
			name: "a deny rule's toServices with ports denies them to every peer",
			objects: `
kind: NetworkPolicy
metadata: {name: allow-all}
spec: {podSelector: {}, egress: [{}], policyTypes: [Egress]}
---
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  enableDefaultDeny: {egress: false}
  egressDeny:
  - toServices: [{k8sService: {serviceName: b, namespace: "y"}}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]`,
			flows: []ciliumFlow{{"x/a", "203.0.113.9:443", vDeny}, {"x/a", "x/b:443", vDeny}, {"x/a", "x/b:80", vAllow}},
		},
		{
			name: "mutual authentication required is undecided",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}], authentication: {mode: required}}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vUndecided}, {"y/b", "x/a:80", vDeny}},
		},
		{
			name: "CNP and NetworkPolicy allows are one union",
			objects: `
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: 80}]}]
---
kind: CiliumNetworkPolicy
metadata: {name: p}
spec:
  endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: "y"}}]}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vAllow}, {"x/b", "x/a:81/udp", vDeny}, {"y/a", "x/a:443", vAllow}},
		},
		{
			name: "specs holds several rules, each with its own selector",
			objects: `
kind: CiliumNetworkPolicy
metadata: {name: p}
specs:
- endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]
- endpointSelector: {matchLabels: {app: b}}
  ingress: [{}]`,
			flows: []ciliumFlow{{"x/b", "x/a:80", vAllow}, {"x/a", "x/b:80", vDeny}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tc.opts != nil {
				opts = *tc.opts
				opts.WorkloadStandIns = true
			}
			objs := append(baseObjects(), tc.extra...)
			objs = append(objs, ciliumObjects(t, tc.objects)...)
			s := testSnapshot(t, opts, objs...)
			for _, f := range tc.flows {
				a := can(t, s, f.src, f.dst)
				if got := verdictOf(a); got != f.want {
					t.Errorf("can %s %s = %s, want %s\n%s", f.src, f.dst, got, f.want, answerText(t, a))
				}
			}
			checkFastPathAgrees(t, s)
		})
	}
}

// ciliumWith is Cilium's profile with cilium-config data.
func ciliumWith(data map[string]string) Profile {
	p, _ := ProfileNamed("cilium")
	c := CNI{Name: "cilium", Profile: &p, Namespace: "kube-system", Enforces: true}.WithCiliumConfig(data)
	return *c.Profile
}

// TestCiliumTraces pins what a can trace says of Cilium's rules: the
// policy's kind and name, the rule's field path, allow or deny, and the
// L7 rules that filter what is allowed at L4.
func TestCiliumTraces(t *testing.T) {
	objs := append(baseObjects(), ciliumObjects(t, `
kind: CiliumNetworkPolicy
metadata: {name: api}
specs:
- endpointSelector: {matchLabels: {app: b}}
  ingress: [{}]
- endpointSelector: {matchLabels: {app: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: b}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/api/.*"}]}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: "y"}}]
---
kind: CiliumClusterwideNetworkPolicy
metadata: {name: guard}
spec:
  endpointSelector: {}
  enableDefaultDeny: {egress: false}
  egressDeny: [{toCIDR: [169.254.169.254/32]}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	for _, tc := range []struct {
		src, dst string
		want     []string
	}{
		{"x/b", "x/a:80", []string{`"allowed":true`, `"policy":"CiliumNetworkPolicy/x/api","rule":"specs[1].ingress[0]"`, `"matchedPeer":"specs[1].ingress[0].fromEndpoints[0]"`,
			`"matchedPort":"specs[1].ingress[0].toPorts[0].ports[0]"`, `"notes":["allowed at L4; HTTP rules apply: GET /api/.*"]`}},
		{"y/b", "x/a:80", []string{`"allowed":false`, `"rule":"specs[1].ingressDeny[0]","description":"deny from endpoints {k8s:io.kubernetes.pod.namespace=y} on all ports"`, `"deny":true,"denies":true`,
			`denied by CiliumNetworkPolicy/x/api, which overrides any allow`}},
		{"x/a", "169.254.169.254:80", []string{`"allowed":false`, `"policy":"CiliumClusterwideNetworkPolicy/guard","rule":"spec.egressDeny[0]"`, `"matchedPeer":"spec.egressDeny[0].toCIDR[0]"`,
			`"nonIsolating":true`}},
		{"x/a", "x/b:80", []string{`"allowed":false`, `"rule":"specs[0].ingress[0]","description":"allow nothing (an empty rule: it only puts the endpoints in default deny)"`}},
	} {
		text := answerText(t, can(t, s, tc.src, tc.dst))
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("can %s %s: want %q in\n%s", tc.src, tc.dst, w, text)
			}
		}
	}
}

// TestCiliumInvalid pins what Cilium's schema and sanitizer reject: an
// error naming the field, never a policy silently read otherwise.
func TestCiliumInvalid(t *testing.T) {
	for _, tc := range []struct{ name, object, want string }{
		{"neither spec nor specs", `{kind: CiliumNetworkPolicy, metadata: {name: p}}`, "spec or specs must be provided"},
		{"both selectors", `{kind: CiliumClusterwideNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, nodeSelector: {}, ingress: [{}]}}`, "spec: rule cannot have both endpointSelector and nodeSelector"},
		{"no selector", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {ingress: [{}]}}`, "spec: rule must have one of endpointSelector or nodeSelector"},
		{"no direction", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}}}`, "rule must have at least one of ingress, ingressDeny, egress, egressDeny"},
		{"a CNP selecting nodes", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {nodeSelector: {}, ingress: [{}]}}`, "spec.nodeSelector: a CiliumNetworkPolicy rule cannot have nodeSelector"},
		{"two kinds of peers in one rule", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingress: [{fromEndpoints: [{}], fromCIDR: [10.0.0.0/8]}]}}`, "spec.ingress[0]: combining fromEndpoints and fromCIDR is not supported"},
		{"icmps with toPorts", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingress: [{icmps: [{fields: [{type: 8}]}], toPorts: [{ports: [{port: "80"}]}]}]}}`, "the icmps block may only be present without toPorts"},
		{"a bad CIDR", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, egress: [{toCIDR: [10.0.0.300/8]}]}}`, "spec.egress[0].toCIDR[0]: unable to parse CIDR"},
		{"except outside its CIDR", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, egress: [{toCIDRSet: [{cidr: 10.0.0.0/8, except: [192.168.0.0/16]}]}]}}`, "spec.egress[0].toCIDRSet[0].except[0]: allow CIDR prefix 10.0.0.0/8 does not contain exclude CIDR prefix 192.168.0.0/16"},
		{"an unknown entity", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, egress: [{toEntities: [internet]}]}}`, `spec.egress[0].toEntities[0]: unsupported entity "internet"`},
		{"a misspelt field", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingresDeny: [{}]}}`, `unknown field "spec.ingresDeny"`},
		{"L7 rules in a deny rule", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingressDeny: [{toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{}]}}]}]}}`, "spec.ingressDeny[0].toPorts[0]: a deny rule's toPorts may hold only ports"},
		{"toFQDNs on ingress", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingress: [{toFQDNs: [{matchName: a.example}]}]}}`, "spec.ingress[0].toFQDNs: unknown field"},
		{"fromRequires", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingress: [{fromRequires: [{}]}]}}`, "spec.ingress[0].fromRequires: must have at most 0 items"},
		{"a bad protocol", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingress: [{toPorts: [{ports: [{port: "80", protocol: tcp}]}]}]}}`, `spec.ingress[0].toPorts[0].ports[0].protocol: unsupported value "tcp"`},
		{"HTTP rules on UDP", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingress: [{toPorts: [{ports: [{port: "80", protocol: UDP}], rules: {http: [{}]}}]}]}}`, "L7 rules can only apply to TCP"},
		{"a selector key with two sources", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {matchLabels: {"k8s:any:app": a}}, ingress: [{}]}}`, "spec.endpointSelector.matchLabels: invalid label selector"},
		{"a port that is no number", `{kind: CiliumNetworkPolicy, metadata: {name: p}, spec: {endpointSelector: {}, ingress: [{toPorts: [{ports: [{port: "80000"}]}]}]}}`, `spec.ingress[0].toPorts[0].ports[0].port: unable to parse port "80000"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(baseObjects(), ciliumObjects(t, tc.object)...)
			_, err := NewSnapshot(objs, DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewSnapshot error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestCiliumProfileDepartures pins where Cilium departs from the API text
// under its profile: allow-localhost is an ingress allow that deny rules
// override, and a NetworkPolicy direction with rules is isolated whatever
// policyTypes says.
func TestCiliumProfileDepartures(t *testing.T) {
	cilium, _ := ProfileNamed("cilium")
	opts := Options{Profile: cilium, WorkloadStandIns: true}
	objs := []runtime.Object{
		testNamespace("x", "env=prod"),
		onNode(testPod("x/a", "app=a", "10.0.0.1"), "n1"),
		onNode(testPod("x/b", "app=b", "10.0.0.2"), "n1"),
		onNode(hostNetPod("x/agent", "app=agent", "192.0.2.1"), "n1"),
		onNode(hostNetPod("x/far", "app=agent", "192.0.2.2"), "n2"),
	}
	t.Run("the pod's own node reaches it on ingress past default deny, not another node", func(t *testing.T) {
		s := testSnapshot(t, opts, append(objs, ciliumObjects(t, `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec: {endpointSelector: {}, ingress: [{}], egress: [{}]}`)...)...)
		for _, f := range []ciliumFlow{{"x/agent", "x/a:80", vAllow}, {"x/far", "x/a:80", vDeny}, {"x/a", "x/agent:80", vDeny}} {
			if got := verdictOf(can(t, s, f.src, f.dst)); got != f.want {
				t.Errorf("can %s %s = %s, want %s", f.src, f.dst, got, f.want)
			}
		}
	})
	t.Run("a deny rule on the host overrides allow-localhost", func(t *testing.T) {
		s := testSnapshot(t, opts, append(objs, ciliumObjects(t, `
kind: CiliumNetworkPolicy
metadata: {name: p}
spec: {endpointSelector: {}, ingress: [{}], ingressDeny: [{fromEntities: [host]}]}`)...)...)
		if got := verdictOf(can(t, s, "x/agent", "x/a:80")); got != vDeny {
			t.Errorf("can x/agent x/a:80 = %s, want deny", got)
		}
	})
	t.Run("a NetworkPolicy's ingress rules isolate ingress on Cilium even with policyTypes [Egress]", func(t *testing.T) {
		np := testPolicies(t, `
metadata: {name: p}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: c}}}]}]
  egress: [{}]`)
		onCilium := testSnapshot(t, opts, append(slicesClone(objs), np...)...)
		if got := verdictOf(can(t, onCilium, "x/b", "x/a:80")); got != vDeny {
			t.Errorf("on Cilium: can x/b x/a:80 = %s, want deny", got)
		}
		byAPI := testSnapshot(t, DefaultOptions(), append(slicesClone(objs), np...)...)
		if got := verdictOf(can(t, byAPI, "x/b", "x/a:80")); got != vAllow {
			t.Errorf("by the API text: can x/b x/a:80 = %s, want allow", got)
		}
	})
}

func slicesClone(objs []runtime.Object) []runtime.Object {
	return append([]runtime.Object(nil), objs...)
}

// TestCiliumHostPolicies pins that a CCNP rule selecting nodes is not
// evaluated: the host-network pods it may govern get undecided verdicts
// naming it, other pods are judged by the CCNP's endpoint rules.
func TestCiliumHostPolicies(t *testing.T) {
	objs := append(baseObjects(), onNode(hostNetPod("x/agent", "app=agent", "192.0.2.1"), "n1"))
	objs = append(objs, ciliumObjects(t, `
kind: CiliumClusterwideNetworkPolicy
metadata: {name: hosts}
specs:
- nodeSelector: {}
  ingress: [{fromEntities: [cluster]}]
- endpointSelector: {matchLabels: {app: a}}
  ingress: [{}]`)...)
	s := testSnapshot(t, DefaultOptions(), objs...)
	a := can(t, s, "x/b", "x/agent:10250")
	if verdictOf(a) != vUndecided || !strings.Contains(strings.Join(a.DependsOn, "; "), "CiliumClusterwideNetworkPolicy") {
		t.Errorf("can x/b x/agent:10250 = %s depending on %q, want undecided naming the CCNP", verdictOf(a), a.DependsOn)
	}
	if got := verdictOf(can(t, s, "x/b", "x/a:80")); got != vDeny {
		t.Errorf("can x/b x/a:80 = %s, want deny (the CCNP's endpoint rule)", got)
	}
}
