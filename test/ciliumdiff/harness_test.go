package ciliumdiff

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func TestGenerateIsDeterministic(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		a := ClusterYAML(Generate(rand.New(rand.NewSource(seed)), ""))
		b := ClusterYAML(Generate(rand.New(rand.NewSource(seed)), ""))
		if a != b {
			t.Fatalf("seed %d: two clusters differ:\n%s", seed, cmp.Diff(a, b))
		}
	}
}

// features counts what a cluster exercises, by name.
func features(c Cluster) map[string]int {
	f := map[string]int{}
	f["family "+string(c.Family)]++
	f["enable-policy "+c.EnablePolicy]++
	if c.IPv6 {
		f["IPv6"]++
	}
	if c.FilteredLabels {
		f["filtered labels"]++
	}
	for _, np := range c.Policies {
		f["NetworkPolicy"]++
		if len(np.Spec.PolicyTypes) == 0 {
			f["NetworkPolicy without policyTypes"]++
		}
		if unlistedRules(np) {
			f["NetworkPolicy with rules its policyTypes leave out"]++
		}
		var ports []networkingv1.NetworkPolicyPort
		var peers []networkingv1.NetworkPolicyPeer
		for _, r := range np.Spec.Ingress {
			ports, peers = append(ports, r.Ports...), append(peers, r.From...)
		}
		for _, r := range np.Spec.Egress {
			ports, peers = append(ports, r.Ports...), append(peers, r.To...)
		}
		for _, p := range ports {
			switch {
			case p.Port != nil && p.Port.Type == intstr.String:
				f["NetworkPolicy named port"]++
			case p.EndPort != nil:
				f["NetworkPolicy endPort"]++
			}
			if p.Protocol != nil && *p.Protocol == corev1.ProtocolSCTP {
				f["NetworkPolicy SCTP"]++
			}
		}
		for _, p := range peers {
			if p.IPBlock != nil && len(p.IPBlock.Except) > 0 {
				f["NetworkPolicy ipBlock except"]++
			}
			if p.NamespaceSelector != nil && p.PodSelector != nil {
				f["NetworkPolicy namespace and pod selector"]++
			}
		}
	}
	for _, u := range c.Cilium {
		f[u.GetKind()]++
		if _, ok := u.Object["specs"]; ok {
			f["specs"]++
		} else {
			f["spec"]++
		}
		for _, spec := range specsOf(u.Object) {
			countSelector(f, "endpointSelector", spec["endpointSelector"])
			if _, ok := spec["enableDefaultDeny"]; ok {
				f["enableDefaultDeny"]++
			}
		}
		walkRules(u.Object, func(section string, rule map[string]any) {
			f["section "+section]++
			if len(rule) == 0 {
				f["empty rule {}"]++
			}
			if _, ok := rule["toPorts"]; ok && len(rule) == 1 {
				f["toPorts-only rule"]++
			}
			for k, v := range rule {
				peer := strings.TrimPrefix(strings.TrimPrefix(k, "from"), "to")
				switch peer {
				case "Endpoints":
					f[section+" endpoints"]++
					for _, s := range v.([]any) {
						countSelector(f, "peer selector", s)
					}
				case "CIDR":
					f[section+" CIDR"]++
				case "CIDRSet":
					f[section+" CIDRSet"]++
					for _, s := range v.([]any) {
						if _, ok := s.(map[string]any)["except"]; ok {
							f["CIDRSet except"]++
						}
					}
				case "Entities":
					for _, e := range v.([]any) {
						f["entity "+e.(string)]++
					}
				}
			}
		})
		walkPorts(u.Object, func(p map[string]any) {
			port := p["port"].(string)
			switch {
			case port == "0":
				f["port 0"]++
			case p["endPort"] != nil:
				f["endPort"]++
			case strings.Trim(port, "0123456789") != "":
				f["named port"]++
			default:
				f["port number"]++
			}
			proto, _ := p["protocol"].(string)
			f["protocol "+proto]++
		})
	}
	return f
}

func countSelector(f map[string]int, what string, s any) {
	sel, _ := s.(map[string]any)
	if len(sel) == 0 {
		f[what+" {}"]++
		return
	}
	keys := func(k string) {
		switch {
		case strings.HasPrefix(k, ciliumNamespaceKey):
			f["key "+ciliumNamespaceKey]++
		case strings.HasPrefix(k, ciliumNSLabels):
			f["key namespace label"]++
		case k == ciliumSAKey:
			f["key service account"]++
		case strings.HasPrefix(k, "k8s:"):
			f["key k8s:"]++
		case strings.HasPrefix(k, "any:"):
			f["key any:"]++
		default:
			f["key without source"]++
		}
	}
	if ml, ok := sel["matchLabels"].(map[string]any); ok {
		f["matchLabels"]++
		for k := range ml {
			keys(k)
		}
	}
	if mes, ok := sel["matchExpressions"].([]any); ok {
		for _, me := range mes {
			me := me.(map[string]any)
			f["operator "+me["operator"].(string)]++
			keys(me["key"].(string))
		}
	}
}

// TestGenerateCoversFeatures checks that the clusters TestCiliumDifferential
// runs by default exercise every feature the generator is meant to.
func TestGenerateCoversFeatures(t *testing.T) {
	total := map[string]int{}
	for i := int64(0); i < 120; i++ {
		for k, n := range features(Generate(rand.New(rand.NewSource(1+i)), "")) {
			total[k] += n
		}
	}
	want := []string{
		"family np", "family cilium", "enable-policy default", "enable-policy always", "IPv6", "filtered labels",
		"NetworkPolicy", "NetworkPolicy without policyTypes", "NetworkPolicy with rules its policyTypes leave out",
		"NetworkPolicy named port", "NetworkPolicy endPort", "NetworkPolicy SCTP", "NetworkPolicy ipBlock except",
		"NetworkPolicy namespace and pod selector",
		"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "spec", "specs", "enableDefaultDeny",
		"section ingress", "section egress", "section ingressDeny", "section egressDeny",
		"empty rule {}", "toPorts-only rule",
		"ingress endpoints", "egress endpoints", "ingressDeny endpoints", "egressDeny endpoints",
		"ingress CIDR", "egress CIDR", "ingress CIDRSet", "egress CIDRSet", "ingressDeny CIDRSet", "egressDeny CIDR", "CIDRSet except",
		"entity world", "entity cluster", "entity all", "entity none", "entity host",
		"endpointSelector {}", "peer selector {}", "matchLabels",
		"operator In", "operator NotIn", "operator Exists", "operator DoesNotExist",
		"key " + ciliumNamespaceKey, "key namespace label", "key service account", "key k8s:", "key any:", "key without source",
		"port number", "named port", "endPort", "port 0",
		"protocol TCP", "protocol UDP", "protocol SCTP", "protocol ANY", "protocol ",
	}
	for _, k := range want {
		if total[k] == 0 {
			t.Errorf("no generated cluster has %q", k)
		}
	}
	t.Logf("feature counts over 120 clusters: %v", total)
}

// TestGeneratedPoliciesAreAccepted: Cilium's sanitizer and the CRD schema
// accept every generated policy (an error is a generator bug).
func TestGeneratedPoliciesAreAccepted(t *testing.T) {
	orc := newOracle(t)
	n := 0
	for seed := int64(1); seed <= 300; seed++ {
		c := Generate(rand.New(rand.NewSource(seed)), "")
		sc, err := scenarioOf(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := orc.ask(sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.policyErrors() {
			t.Errorf("seed %d: %s", seed, e)
		}
		for _, p := range res.Policies {
			if p.Rules == 0 {
				t.Errorf("seed %d: %s %s/%s became no rule", seed, p.Kind, p.Namespace, p.Name)
			}
		}
		n += len(res.Policies)
	}
	if n < 500 {
		t.Errorf("only %d policies checked", n)
	}
}

func TestCiliumProfileLeavesNothingUnknown(t *testing.T) {
	for _, mode := range []string{"default", "always"} {
		p, err := CiliumProfile(mode)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Get(query.BehaviourIsolateAll) == query.Yes, mode == "always"; got != want {
			t.Errorf("enable-policy %s: isolates every pod = %v", mode, got)
		}
		if p.Get(query.BehaviourSCTP) != query.Yes || p.Get(query.BehaviourIPBlockPodIPs) != query.No {
			t.Errorf("enable-policy %s: SCTP %s, ipBlock on pod IPs %s", mode, p.Get(query.BehaviourSCTP), p.Get(query.BehaviourIPBlockPodIPs))
		}
	}
}

// handCluster is a small cluster: namespaces ns-x (team=a) and ns-y, pods
// ns-x/web (app=web, http 8080/TCP), ns-x/cli and ns-y/cli (app=cli).
func handCluster(t *testing.T, enablePolicy string, objs ...string) Cluster {
	t.Helper()
	c := Cluster{Family: FamilyNP, EnablePolicy: enablePolicy, Externals: externalIPv4}
	base := []string{
		`{apiVersion: v1, kind: Namespace, metadata: {name: ns-x, labels: {kubernetes.io/metadata.name: ns-x, team: a}}}`,
		`{apiVersion: v1, kind: Namespace, metadata: {name: ns-y, labels: {kubernetes.io/metadata.name: ns-y}}}`,
		`{apiVersion: v1, kind: Pod, metadata: {name: web, namespace: ns-x, labels: {app: web}},
		  spec: {nodeName: node-1, containers: [{name: main, image: pause, ports: [{name: http, containerPort: 8080}]}]},
		  status: {phase: Running, podIP: 10.0.0.10, podIPs: [{ip: 10.0.0.10}]}}`,
		`{apiVersion: v1, kind: Pod, metadata: {name: cli, namespace: ns-x, labels: {app: cli}},
		  spec: {nodeName: node-1, containers: [{name: main, image: pause}]}, status: {phase: Running, podIP: 10.0.0.11, podIPs: [{ip: 10.0.0.11}]}}`,
		`{apiVersion: v1, kind: Pod, metadata: {name: cli, namespace: ns-y, labels: {app: cli}},
		  spec: {nodeName: node-1, containers: [{name: main, image: pause}]}, status: {phase: Running, podIP: 10.0.1.10, podIPs: [{ip: 10.0.1.10}]}}`,
	}
	for _, y := range append(base, objs...) {
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(y), &head); err != nil {
			t.Fatal(err)
		}
		var err error
		switch head.Kind {
		case "Namespace":
			o := &corev1.Namespace{}
			err = yaml.UnmarshalStrict([]byte(y), o)
			c.Namespaces = append(c.Namespaces, o)
		case "Pod":
			o := &corev1.Pod{}
			err = yaml.UnmarshalStrict([]byte(y), o)
			c.Pods = append(c.Pods, o)
		case "NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			err = yaml.UnmarshalStrict([]byte(y), o)
			c.Policies = append(c.Policies, o)
		default:
			o := &unstructured.Unstructured{}
			err = yaml.Unmarshal([]byte(y), &o.Object)
			c.Cilium = append(c.Cilium, o)
			c.Family = FamilyCilium
		}
		if err != nil {
			t.Fatalf("%s: %v", y, err)
		}
	}
	return c
}

// handFlow is a flow and Cilium's verdict on it: "egress/ingress" of
// allowed, denied, unenforced.
type handFlow struct {
	src, dst string
	x        portProto
	want     string
}

func (c Cluster) end(name string) endpoint {
	for _, p := range c.Pods {
		if p.Namespace+"/"+p.Name == name {
			return endpoint{pod: p, ip: p.Status.PodIP}
		}
	}
	return endpoint{ip: name}
}

// TestHarnessHandCases pins Cilium's verdicts on hand-written clusters
// (from Cilium's own translation of NetworkPolicy) and checks that the
// harness finds the engine in agreement on them: the wiring of names,
// profile and defaulting.
func TestHarnessHandCases(t *testing.T) {
	orc := newOracle(t)
	tcp := func(n int32) portProto { return portProto{n, corev1.ProtocolTCP} }
	cases := []struct {
		name         string
		enablePolicy string
		objs         []string
		flows        []handFlow
	}{
		{
			name: "no policy: everything allowed",
			flows: []handFlow{
				{"ns-y/cli", "ns-x/web", tcp(8080), "allowed/allowed"},
				{"8.8.8.8", "ns-x/web", portProto{53, corev1.ProtocolUDP}, "unenforced/allowed"},
			},
		},
		{
			name: "ingress from a namespace's pods on a named port (policyTypes defaulted)",
			objs: []string{`{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: web, namespace: ns-x},
			  spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}], ports: [{port: http}]}]}}`},
			flows: []handFlow{
				{"ns-x/cli", "ns-x/web", tcp(8080), "allowed/allowed"},
				{"ns-x/cli", "ns-x/web", tcp(80), "allowed/denied"},
				{"ns-y/cli", "ns-x/web", tcp(8080), "allowed/denied"},
				{"ns-x/cli", "ns-x/web", portProto{8080, corev1.ProtocolUDP}, "allowed/denied"},
			},
		},
		{
			name: "egress ipBlock: matches external addresses only, except carves out",
			objs: []string{`{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: out, namespace: ns-x},
			  spec: {podSelector: {matchLabels: {app: cli}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [8.8.8.8/32]}}]}]}}`},
			flows: []handFlow{
				{"ns-x/cli", "192.0.2.10", tcp(443), "allowed/unenforced"},
				{"ns-x/cli", "8.8.8.8", tcp(443), "denied/unenforced"},
				{"ns-x/cli", "ns-y/cli", tcp(443), "denied/allowed"},
			},
		},
		{
			name:         "enable-policy always: a pod no policy selects is isolated both ways",
			enablePolicy: "always",
			flows: []handFlow{
				{"ns-x/cli", "ns-y/cli", tcp(80), "denied/denied"},
				{"ns-x/cli", "8.8.8.8", tcp(80), "denied/unenforced"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mode := tc.enablePolicy
			if mode == "" {
				mode = "default"
			}
			c := handCluster(t, mode, tc.objs...)
			var ps []pair
			var flows []oracleFlow
			for _, f := range tc.flows {
				p := pair{src: c.end(f.src), dst: c.end(f.dst), all: []portProto{f.x}, explicit: map[portProto]bool{f.x: true}}
				ps = append(ps, p)
				flows = append(flows, oracleFlow{From: f.src, To: f.dst, Protocol: string(f.x.proto), Port: uint16(f.x.port)})
			}
			sc, err := scenarioOf(c, flows)
			if err != nil {
				t.Fatal(err)
			}
			res, err := orc.ask(sc)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for i, f := range tc.flows {
				want = append(want, fmt.Sprintf("%s -> %s %s: %s", f.src, f.dst, f.x, f.want))
				got = append(got, fmt.Sprintf("%s -> %s %s: %s/%s", f.src, f.dst, f.x, res.Flows[i].Egress, res.Flows[i].Ingress))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Cilium's verdicts (-want +got):\n%s", d)
			}
			mms, st, err := compareCluster(c, c, ps, orc)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mms {
				t.Errorf("MISMATCH (%s) %s\n%s", m.kind, m, m.describe())
			}
			if st.flows != 2*len(tc.flows) { // port-less and explicit
				t.Errorf("%d flows compared, want %d", st.flows, 2*len(tc.flows))
			}
		})
	}
}

// TestPolicyTypesAsCiliumReadsThem: a NetworkPolicy listing only Ingress
// but with an egress rule.
func TestPolicyTypesAsCiliumReadsThem(t *testing.T) {
	// Cilium enforces the egress rules of a NetworkPolicy whose
	// policyTypes says only Ingress (cilium/cilium#48703); the engine,
	// judging as Cilium, agrees, and the flow is denied.
	orc := newOracle(t)
	c := handCluster(t, "default", `{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: in-only, namespace: ns-x},
	  spec: {podSelector: {matchLabels: {app: cli}}, policyTypes: [Ingress], ingress: [{}], egress: [{to: [{podSelector: {matchLabels: {app: web}}}]}]}}`)
	x := portProto{80, corev1.ProtocolTCP}
	ps := []pair{{src: c.end("ns-x/cli"), dst: c.end("ns-y/cli"), all: []portProto{x}, explicit: map[portProto]bool{}}}
	mms, st, err := compareCluster(c, c, ps, orc)
	if err != nil {
		t.Fatal(err)
	}
	if len(mms) != 0 || st.flows != 1 || st.allowed != 0 {
		t.Errorf("want one flow, denied by Cilium and the engine alike; mismatches %v, %d flows, %d allowed", mms, st.flows, st.allowed)
	}
}

// TestHarnessDetectsPlantedBug gives the oracle each NetworkPolicy cluster
// without one of its policies, the engine the whole cluster: the harness
// must report the difference as verdict mismatches.
func TestHarnessDetectsPlantedBug(t *testing.T) {
	orc := newOracle(t)
	found := 0
	for seed := int64(1); seed <= 30 && found < 5; seed++ {
		c := Generate(rand.New(rand.NewSource(seed)), FamilyNP)
		planted := c
		planted.Policies = c.Policies[1:]
		ps := pairsOf(rand.New(rand.NewSource(seed)), c, 1)
		mms, _, err := compareCluster(c, planted, ps, orc)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(mms, func(m mismatch) bool { return m.kind == kindVerdict }) {
			found++
		}
	}
	if found < 5 {
		t.Errorf("a missing policy was noticed in only %d of the first 30 clusters", found)
	}
}

// unlistedRules says whether np has rules of a direction its policyTypes
// (as the API server defaults them) does not list: Cilium enforces them
// (cilium/cilium#48703), and so does the engine judging as Cilium.
func unlistedRules(np *networkingv1.NetworkPolicy) bool {
	types := defaultedPolicy(np).Spec.PolicyTypes
	return len(np.Spec.Ingress) > 0 && !slices.Contains(types, networkingv1.PolicyTypeIngress) ||
		len(np.Spec.Egress) > 0 && !slices.Contains(types, networkingv1.PolicyTypeEgress)
}
