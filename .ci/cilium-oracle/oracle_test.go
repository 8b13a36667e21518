package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2/validator"
	"github.com/cilium/cilium/pkg/policy"
	policytypes "github.com/cilium/cilium/pkg/policy/types"
	"github.com/cilium/cilium/pkg/u8proto"
)

var testLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func newValidator(t *testing.T) *validator.NPValidator {
	t.Helper()
	v, err := validator.NewNPValidator(testLogger)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// baseCluster: namespace a (team=x) with web (named ports http 8080/TCP,
// sig 9000/SCTP) and cli; namespace b with cli and db (named port http
// 5432/TCP: the same name, another number); two external addresses.
func baseCluster(policies ...string) Scenario {
	sc := Scenario{
		Namespaces: []Namespace{
			{Name: "a", Labels: map[string]string{"kubernetes.io/metadata.name": "a", "team": "x"}},
			{Name: "b", Labels: map[string]string{"kubernetes.io/metadata.name": "b"}},
		},
		Pods: []Pod{
			{Namespace: "a", Name: "web", Labels: map[string]string{"app": "web", "pod-template-hash": "5d8f"}, NamedPorts: []NamedPort{{"http", 8080, "TCP"}, {"sig", 9000, "SCTP"}}},
			{Namespace: "a", Name: "cli", Labels: map[string]string{"app": "cli"}},
			{Namespace: "b", Name: "cli", Labels: map[string]string{"app": "cli"}},
			{Namespace: "b", Name: "db", Labels: map[string]string{"app": "db"}, NamedPorts: []NamedPort{{"http", 5432, ""}}},
			{Namespace: "b", Name: "agent", Labels: map[string]string{"app": "agent"}, HostNetwork: true, Node: "n1"},
		},
		Addresses: []Address{{Name: "ext", CIDR: "203.0.113.7/32"}, {Name: "ext2", CIDR: "198.51.100.9"}},
	}
	for _, p := range policies {
		j, err := yaml.YAMLToJSON([]byte(p))
		if err != nil {
			panic(err)
		}
		sc.Policies = append(sc.Policies, j)
	}
	return sc
}

// fw is a flow and the verdicts wanted: "egress/ingress", each a, d or u
// (allowed, denied, unenforced).
type fw struct {
	from, to, proto string
	port            uint16
	want            string
}

var verdictLetter = map[string]string{Allowed: "a", Denied: "d", Unenforced: "u"}

func TestOracleVerdicts(t *testing.T) {
	v := newValidator(t)
	cases := []struct {
		name     string
		sc       Scenario
		flows    []fw
		policyOK bool // every policy accepted by the agent
	}{
		{
			name: "no policy: everything allowed, pod-template-hash is no identity label",
			sc:   baseCluster(),
			flows: []fw{
				{"a/cli", "a/web", "TCP", 80, "a/a"}, {"ext", "a/web", "UDP", 53, "u/a"}, {"a/web", "ext", "SCTP", 1, "a/u"},
			},
			policyOK: true,
		},
		{
			name: "CNP ingress: [{}] is a default deny of ingress; egress untouched",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress: [{}]`),
			flows: []fw{
				{"a/cli", "a/web", "TCP", 8080, "a/d"}, {"ext", "a/web", "TCP", 8080, "u/d"},
				{"a/web", "a/cli", "TCP", 80, "a/a"}, {"a/web", "ext", "TCP", 443, "a/u"},
			},
			policyOK: true,
		},
		{
			name: "ingressDeny in a CNP overrides a NetworkPolicy allowing all ingress",
			sc: baseCluster(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: a}
spec:
  podSelector: {}
  ingress: [{}]`, `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-cli, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: cli}}]`),
			flows: []fw{
				{"a/cli", "a/web", "TCP", 8080, "a/d"}, {"b/cli", "a/web", "TCP", 8080, "a/a"},
				{"b/db", "a/web", "UDP", 1, "a/a"}, {"ext", "a/web", "TCP", 80, "u/a"},
				// cli is not isolated: the NetworkPolicy allows everything.
				{"a/web", "a/cli", "TCP", 80, "a/a"},
			},
			policyOK: true,
		},
		{
			name: "a deny-only CNP still turns on default deny for its direction",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-cli, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: cli}}]`),
			flows: []fw{
				{"a/cli", "a/web", "TCP", 8080, "a/d"}, {"b/cli", "a/web", "TCP", 8080, "a/d"},
				{"ext", "a/web", "TCP", 8080, "u/d"}, {"a/web", "ext", "TCP", 8080, "a/u"},
			},
			policyOK: true,
		},
		{
			name: "enableDefaultDeny ingress false: only the deny applies",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-cli, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  enableDefaultDeny: {ingress: false}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: cli}}]`, `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-db, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  enableDefaultDeny: {ingress: false, egress: false}
  ingress:
  - fromEndpoints: [{matchLabels: {app: db, k8s:io.kubernetes.pod.namespace: b}}]
  egress:
  - toEndpoints: [{matchLabels: {app: db}}]`),
			flows: []fw{
				{"a/cli", "a/web", "TCP", 8080, "a/d"}, {"b/cli", "a/web", "TCP", 8080, "a/a"},
				{"b/db", "a/web", "TCP", 8080, "a/a"}, {"ext", "a/web", "TCP", 8080, "u/a"},
				{"a/web", "ext", "TCP", 443, "a/u"}, {"a/web", "b/cli", "TCP", 443, "a/a"},
			},
			policyOK: true,
		},
		{
			name: "CNP fromEndpoints are confined to the policy's namespace unless they name one",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: from-cli, namespace: a}
specs:
- endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: cli}}]
- endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: b, app: db}
    - matchExpressions: [{key: k8s:io.cilium.k8s.namespace.labels.team, operator: Exists}, {key: app, operator: In, values: [nothing]}]`),
			flows: []fw{
				{"a/cli", "a/web", "TCP", 8080, "a/a"}, {"b/cli", "a/web", "TCP", 8080, "a/d"},
				{"b/db", "a/web", "TCP", 8080, "a/a"},
			},
			policyOK: true,
		},
		{
			name: "a namespace-label selector in a CNP's fromEndpoints reaches other namespaces",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: from-ns-b, namespace: a}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints:
    - matchLabels: {k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name: b}`),
			flows: []fw{
				{"b/cli", "a/web", "TCP", 1, "a/a"}, {"b/db", "a/cli", "UDP", 2, "a/a"}, {"a/cli", "a/web", "TCP", 1, "a/d"},
			},
			policyOK: true,
		},
		{
			name: "CCNP fromEndpoints are not confined; {} means every pod but not the world",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: from-cli}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: cli}}]
  egress:
  - toEndpoints: [{}]`),
			flows: []fw{
				{"a/cli", "a/web", "TCP", 8080, "a/a"}, {"b/cli", "a/web", "TCP", 8080, "a/a"},
				{"b/db", "a/web", "TCP", 8080, "a/d"}, {"ext", "a/web", "TCP", 8080, "u/d"},
				{"a/web", "b/db", "UDP", 9, "a/a"}, {"a/web", "ext", "TCP", 443, "d/u"},
				{"a/web", "b/agent", "TCP", 10250, "d/u"},
			},
			policyOK: true,
		},
		{
			name: "a toPorts-only rule allows the port from everything, the world included",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: port-80, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - toPorts: [{ports: [{port: "80", protocol: TCP}, {port: "8000", endPort: 8009}]}]`),
			flows: []fw{
				{"ext", "a/web", "TCP", 80, "u/a"}, {"b/cli", "a/web", "TCP", 80, "a/a"}, {"b/cli", "a/web", "UDP", 80, "a/d"},
				{"b/cli", "a/web", "UDP", 8009, "a/a"}, {"b/cli", "a/web", "SCTP", 8000, "a/a"}, {"b/cli", "a/web", "TCP", 8010, "a/d"},
				{"reserved:remote-node", "a/web", "TCP", 80, "u/a"},
			},
			policyOK: true,
		},
		{
			name: "named ports: ingress by the subject's own ports (SCTP too), egress by each destination's",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: named, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - toPorts: [{ports: [{port: sig, protocol: SCTP}, {port: http}]}]`, `
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: named-egress}
spec:
  endpointSelector: {matchLabels: {app: cli}}
  egress:
  - toEndpoints: [{}]
    toPorts: [{ports: [{port: http, protocol: TCP}]}]`),
			flows: []fw{
				{"a/cli", "a/web", "SCTP", 9000, "d/a"}, {"a/cli", "a/web", "TCP", 8080, "a/a"}, {"a/cli", "a/web", "TCP", 9000, "d/d"},
				{"b/cli", "a/web", "TCP", 8080, "a/a"}, {"b/cli", "b/db", "TCP", 5432, "a/a"}, {"b/cli", "b/db", "TCP", 8080, "d/a"},
			},
			policyOK: true,
		},
		{
			name: "CIDR rules: except carves out, pods are never CIDR peers",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cidr, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toCIDRSet: [{cidr: 203.0.113.0/24, except: [203.0.113.7/32]}, {cidr: 0.0.0.0/0, except: [203.0.113.0/24]}]`),
			flows: []fw{
				{"a/web", "ext", "TCP", 443, "d/u"}, {"a/web", "ext2", "TCP", 443, "a/u"}, {"a/web", "a/cli", "TCP", 443, "d/a"},
			},
			policyOK: true,
		},
		{
			name: "entities: world is outside the cluster, cluster is every pod and node, host on its own node",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: entities, namespace: a}
specs:
- endpointSelector: {matchLabels: {app: web}}
  egress:
  - toEntities: [world]
- endpointSelector: {matchLabels: {app: cli}}
  egress:
  - toEntities: [cluster]
  ingress:
  - fromEntities: [host]`),
			flows: []fw{
				// cli's ingress is isolated by its fromEntities rule.
				{"a/web", "ext", "TCP", 443, "a/u"}, {"a/web", "a/cli", "TCP", 443, "d/d"},
				{"a/cli", "ext", "TCP", 443, "d/u"}, {"a/cli", "b/db", "TCP", 443, "a/a"}, {"a/cli", "reserved:kube-apiserver", "TCP", 6443, "a/u"},
				{"a/cli", "b/agent", "TCP", 10250, "a/u"}, {"b/cli", "a/cli", "TCP", 1, "a/d"},
				{"reserved:host", "a/cli", "TCP", 1, "u/a"}, {"reserved:remote-node", "a/cli", "TCP", 1, "u/d"},
			},
			policyOK: true,
		},
		{
			name: "the host may always reach isolated pods (allow-localhost), unless denied",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress: [{}]`, `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny-host, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: cli}}
  ingressDeny: [{fromEntities: [host]}]`),
			flows: []fw{
				{"reserved:host", "a/web", "TCP", 80, "u/a"}, {"reserved:host", "a/cli", "TCP", 80, "u/d"},
			},
			policyOK: true,
		},
		{
			name: "cidrGroupRef selects the addresses inside the group's CIDRs",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumCIDRGroup
metadata: {name: partners}
spec:
  externalCIDRs: [198.51.100.0/24]`, `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: group, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toCIDRSet: [{cidrGroupRef: partners}]`),
			flows:    []fw{{"a/web", "ext2", "TCP", 1, "a/u"}, {"a/web", "ext", "TCP", 1, "d/u"}},
			policyOK: true,
		},
		{
			name: "a CNP's endpointSelector naming another namespace is rewritten to its own (not ANDed)",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: elsewhere, namespace: a}
spec:
  endpointSelector: {matchLabels: {k8s:io.kubernetes.pod.namespace: b, app: cli}}
  ingress: [{}]`),
			flows:    []fw{{"a/web", "a/cli", "TCP", 1, "a/d"}, {"a/web", "b/cli", "TCP", 1, "a/a"}},
			policyOK: true,
		},
		{
			name: "cilium#48703: a NetworkPolicy's egress rules are enforced although policyTypes lists only Ingress",
			sc: baseCluster(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in-only, namespace: a}
spec:
  podSelector: {matchLabels: {app: cli}}
  policyTypes: [Ingress]
  ingress: [{}]
  egress: [{to: [{podSelector: {matchLabels: {app: web}}}]}]`),
			flows:    []fw{{"a/cli", "a/web", "TCP", 1, "a/a"}, {"a/cli", "b/db", "TCP", 1, "d/a"}, {"a/cli", "ext", "TCP", 1, "d/u"}},
			policyOK: true,
		},
		{
			name: "endPort below port passes the schema and the sanitizer",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: backwards, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress: [{toPorts: [{ports: [{port: "80", endPort: 70, protocol: TCP}]}]}]`),
			flows:    []fw{{"a/cli", "a/web", "TCP", 80, "a/a"}, {"a/cli", "a/web", "TCP", 75, "a/d"}},
			policyOK: true,
		},
		{
			name: "an invalid CNP is reported and ignored",
			sc: baseCluster(`
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: bad, namespace: a}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEntities: [galaxy]`),
			flows: []fw{{"a/cli", "a/web", "TCP", 1, "a/a"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range c.flows {
				c.sc.Flows = append(c.sc.Flows, Flow{From: f.from, To: f.to, Protocol: f.proto, Port: f.port})
			}
			res, err := Run(testLogger, v, &c.sc)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range res.Policies {
				if (p.Error == "" && p.SchemaError == "") != c.policyOK {
					t.Errorf("%s %s/%s: error %q, schema error %q; want accepted = %v", p.Kind, p.Namespace, p.Name, p.Error, p.SchemaError, c.policyOK)
				}
			}
			var want, got []string
			for i, f := range c.flows {
				r := res.Flows[i]
				want = append(want, fmt.Sprintf("%s -> %s %d/%s: %s", f.from, f.to, f.port, f.proto, f.want))
				got = append(got, fmt.Sprintf("%s -> %s %d/%s: %s/%s", f.from, f.to, f.port, f.proto, verdictLetter[r.Egress], verdictLetter[r.Ingress]))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("verdicts (-want +got):\n%s", d)
			}
		})
	}
}

func TestPodIdentityLabels(t *testing.T) {
	sc := baseCluster()
	sc.Pods[0].ServiceAccount = "web-sa"
	sc.Pods[0].Labels["io.cilium.k8s.policy.cluster"] = "spoofed"
	sc.Pods[0].Labels["app.kubernetes.io/name"] = "web"
	sc.Pods[0].Labels["kubernetes.io/role"] = "dropped"
	res, err := Run(testLogger, newValidator(t), &sc)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"k8s:app=web",
		"k8s:app.kubernetes.io/name=web",
		"gen:io.cilium.k8s.named-ports=http.TCP.8080_sig.SCTP.9000",
		"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=a",
		"k8s:io.cilium.k8s.namespace.labels.team=x",
		"k8s:io.cilium.k8s.policy.cluster=default",
		"k8s:io.cilium.k8s.policy.serviceaccount=web-sa",
		"k8s:io.kubernetes.pod.namespace=a",
	}
	if d := cmp.Diff(want, res.Identities[0].Labels); d != "" {
		t.Errorf("a/web labels (-want +got):\n%s", d)
	}
	if got := res.Identities[5].Labels; !slicesEqual(got, []string{"cidr:203.0.113.7/32", "reserved:world-ipv4"}) {
		t.Errorf("ext labels: %v", got)
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func TestEnablePolicyModes(t *testing.T) {
	v := newValidator(t)
	for _, c := range []struct{ mode, want string }{{"always", "d/d"}, {"never", "a/a"}, {"default", "a/a"}} {
		sc := baseCluster()
		sc.EnablePolicy = c.mode
		sc.Flows = []Flow{{From: "a/cli", To: "a/web", Protocol: "TCP", Port: 80}}
		res, err := Run(testLogger, v, &sc)
		if err != nil {
			t.Fatal(err)
		}
		r := res.Flows[0]
		if got := verdictLetter[r.Egress] + "/" + verdictLetter[r.Ingress]; got != c.want {
			t.Errorf("enablePolicy %s: got %s, want %s", c.mode, got, c.want)
		}
	}
}

// TestAgreesWithLookupFlow checks the cached lookup against Cilium's own
// policy.LookupFlow on every pod-to-pod TCP and UDP flow of the verdict
// scenarios (LookupFlow's owner knows no SCTP named ports).
func TestAgreesWithLookupFlow(t *testing.T) {
	v := newValidator(t)
	pols := [][]string{
		{`{"apiVersion":"cilium.io/v2","kind":"CiliumNetworkPolicy","metadata":{"name":"p","namespace":"a"},"spec":{"endpointSelector":{},"ingress":[{"fromEndpoints":[{"matchLabels":{"app":"cli"}}],"toPorts":[{"ports":[{"port":"http"}]}]}],"egressDeny":[{"toEndpoints":[{"matchLabels":{"app":"db","k8s:io.kubernetes.pod.namespace":"b"}}],"toPorts":[{"ports":[{"port":"5432","protocol":"TCP"}]}]}]}}`},
		{`{"apiVersion":"cilium.io/v2","kind":"CiliumClusterwideNetworkPolicy","metadata":{"name":"c"},"spec":{"endpointSelector":{"matchExpressions":[{"key":"app","operator":"NotIn","values":["web"]}]},"egress":[{"toEndpoints":[{}],"toPorts":[{"ports":[{"port":"http","protocol":"TCP"},{"port":"53","protocol":"UDP"}]}]}]}}`,
			`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"n","namespace":"b"},"spec":{"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"x"}}}],"ports":[{"port":"http"},{"port":1,"endPort":100,"protocol":"UDP"}]}]}}`},
	}
	for i, ps := range pols {
		sc := baseCluster()
		for _, p := range ps {
			sc.Policies = append(sc.Policies, json.RawMessage(p))
		}
		var pods []string
		for _, p := range sc.Pods {
			if !p.HostNetwork {
				pods = append(pods, p.Namespace+"/"+p.Name)
			}
		}
		for _, s := range pods {
			for _, d := range pods {
				for _, port := range []uint16{1, 53, 80, 5432, 8080, 9000} {
					for _, proto := range []string{"TCP", "UDP"} {
						sc.Flows = append(sc.Flows, Flow{From: s, To: d, Protocol: proto, Port: port})
					}
				}
			}
		}
		o, res, err := load(testLogger, v, &sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Policies {
			if p.Error != "" || p.SchemaError != "" {
				t.Fatalf("set %d: %+v", i, p)
			}
		}
		n := 0
		for _, f := range sc.Flows {
			mine, err := o.judge(f)
			if err != nil {
				t.Fatal(err)
			}
			src, dst := o.ids.byName[f.From], o.ids.byName[f.To]
			proto, _ := flowProtocol(f.Protocol)
			flow := policytypes.Flow{From: src.id, To: dst.id, Proto: proto, Dport: f.Port,
				NamedPortsTCP: namedPortsOf(dst, u8proto.TCP), NamedPortsUDP: namedPortsOf(dst, u8proto.UDP)}
			verdict, _, _, err := policy.LookupFlow(testLogger, o.repo, o.idmgr, flow)
			if err != nil {
				t.Fatal(err)
			}
			theirs := [2]bool{verdict.Egress == policytypes.DecisionAllowed, verdict.Ingress == policytypes.DecisionAllowed}
			if ours := [2]bool{mine.Egress == Allowed, mine.Ingress == Allowed}; ours != theirs {
				t.Errorf("set %d, %s -> %s %d/%s: cached lookup egress/ingress allowed %v, LookupFlow %v", i, f.From, f.To, f.Port, f.Protocol, ours, theirs)
			}
			n++
		}
		if n < 100 {
			t.Fatalf("set %d: only %d flows compared", i, n)
		}
	}
}

func namedPortsOf(e *endpoint, proto u8proto.U8proto) map[string]uint16 {
	m := map[string]uint16{}
	for name, pp := range e.namedPorts {
		if pp.Proto == proto {
			m[name] = pp.Port
		}
	}
	return m
}

// TestStream checks the command's stream: several scenarios in, one
// result line each, in order; an unknown field is an input error.
func TestStream(t *testing.T) {
	sc := baseCluster()
	sc.Flows = []Flow{{From: "a/cli", To: "ext", Protocol: "UDP", Port: 53}}
	one, _ := json.Marshal(sc)
	var out bytes.Buffer
	if err := run(testLogger, bytes.NewReader(append(append(one, '\n'), one...)), &out); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 2 {
		t.Fatalf("want 2 result lines, got %d:\n%s", lines, out.String())
	}
	if err := run(testLogger, strings.NewReader(`{"namespaces":[],"pods":[],"flows":[],"enablePolicyy":"always"}`), io.Discard); err == nil {
		t.Error("an unknown field was accepted")
	}
	if err := run(testLogger, strings.NewReader(`{"namespaces":[],"pods":[],"flows":[{"from":"x","to":"y","protocol":"TCP","port":1}]}`), io.Discard); err == nil {
		t.Error("a flow naming nothing was accepted")
	}
}
