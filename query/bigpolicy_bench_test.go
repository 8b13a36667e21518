package query

import (
	"flag"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

// Policies at the API server's size limit. An object is capped at about
// 1.5 MiB, so one rule holds some 30,000 ports or peers; every command must
// stay near-linear in a rule's size. The benchmarks below run can,
// explain, map, audit and diff against a three-tier shop where one policy
// (or cluster policy) has N ports, peers or networks.

// bigShop is the three-tier shop: namespaces prod, dev and test, each with
// Deployments web (2 pods), api (2) and db (1), pods with IPs and named
// container ports; cluster DNS in kube-system; and prod's allow-list
// policies. Every object carries apiVersion and kind.
func bigShop() []runtime.Object {
	var objs []runtime.Object
	ns := func(name string, lbls map[string]string) {
		objs = append(objs, &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}})
	}
	pod := func(ns, deploy string, i int, ip string, lbls map[string]string, ports ...corev1.ContainerPort) {
		objs = append(objs, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", deploy, i), Labels: lbls,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: deploy, UID: "u", Controller: ptr.To(true)}}},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img", Ports: ports}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}})
	}
	cp := func(name string, port int32, proto corev1.Protocol) corev1.ContainerPort {
		return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: proto}
	}
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	ns("kube-system", nil)
	pod("kube-system", "coredns", 0, "10.0.0.10", map[string]string{"k8s-app": "kube-dns"}, cp("dns", 53, udp), cp("dns-tcp", 53, tcp), cp("metrics", 9153, tcp))
	for e, env := range []string{"prod", "dev", "test"} {
		ns(env, map[string]string{"env": env})
		for _, t := range []struct {
			role  string
			pods  int
			ports []corev1.ContainerPort
		}{
			{"web", 2, []corev1.ContainerPort{cp("http", 80, tcp)}},
			{"api", 2, []corev1.ContainerPort{cp("http", 5000, tcp), cp("metrics", 9090, tcp)}},
			{"db", 1, []corev1.ContainerPort{cp("mysql", 3306, tcp), cp("metrics", 9104, tcp)}},
		} {
			for i := range t.pods {
				ip := fmt.Sprintf("10.%d.%d.%d", e+1, len(objs), i+1)
				pod(env, t.role, i, ip, map[string]string{"app": "shop", "role": t.role}, t.ports...)
			}
		}
	}
	np := func(name string, sel map[string]string, spec networkingv1.NetworkPolicySpec) {
		spec.PodSelector = metav1.LabelSelector{MatchLabels: sel}
		objs = append(objs, &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "prod", Name: name}, Spec: spec})
	}
	types := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	port := func(proto corev1.Protocol, p intstr.IntOrString) networkingv1.NetworkPolicyPort {
		return networkingv1.NetworkPolicyPort{Protocol: ptr.To(proto), Port: &p}
	}
	role := func(r string) []networkingv1.NetworkPolicyPeer {
		return []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": r}}}}
	}
	np("default-deny", nil, networkingv1.NetworkPolicySpec{PolicyTypes: types})
	np("allow-dns", nil, networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		Egress: []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: "kube-system"}},
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}}},
			Ports: []networkingv1.NetworkPolicyPort{port(udp, intstr.FromInt32(53)), port(tcp, intstr.FromInt32(53))}}}})
	np("web", map[string]string{"role": "web"}, networkingv1.NetworkPolicySpec{PolicyTypes: types,
		Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{port(tcp, intstr.FromString("http"))}}},
		Egress:  []networkingv1.NetworkPolicyEgressRule{{To: role("api"), Ports: []networkingv1.NetworkPolicyPort{port(tcp, intstr.FromInt32(5000))}}}})
	np("api", map[string]string{"role": "api"}, networkingv1.NetworkPolicySpec{PolicyTypes: types,
		Ingress: []networkingv1.NetworkPolicyIngressRule{{From: role("web"), Ports: []networkingv1.NetworkPolicyPort{port(tcp, intstr.FromInt32(5000))}}},
		Egress:  []networkingv1.NetworkPolicyEgressRule{{To: role("db"), Ports: []networkingv1.NetworkPolicyPort{port(tcp, intstr.FromInt32(3306))}}}})
	return objs
}

// bigPorts is N port entries: single ports, endPort ranges, named ports
// (some the pods declare, most not), other protocols, and overlaps. seed
// shifts the numbers so that two lists differ.
func bigPorts(n, seed int) []networkingv1.NetworkPolicyPort {
	names := []string{"mysql", "metrics", "http", "dns"}
	out := make([]networkingv1.NetworkPolicyPort, n)
	for i := range out {
		p := int32((i*7919+seed*104729)%65000 + 1)
		tcp, udp, sctp := corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP
		switch i % 6 {
		case 0:
			out[i] = networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: ptr.To(intstr.FromInt32(p))}
		case 1:
			out[i] = networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: ptr.To(intstr.FromInt32(p)), EndPort: ptr.To(p + int32(i%40))}
		case 2:
			name := fmt.Sprintf("p-%d", i%500)
			if i%60 == 2 {
				name = names[(i/60)%len(names)]
			}
			out[i] = networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: ptr.To(intstr.FromString(name))}
		case 3:
			out[i] = networkingv1.NetworkPolicyPort{Protocol: &udp, Port: ptr.To(intstr.FromInt32(p))}
		case 4:
			out[i] = networkingv1.NetworkPolicyPort{Protocol: &sctp, Port: ptr.To(intstr.FromInt32(p)), EndPort: ptr.To(min(p+300, 65535))}
		default:
			// Overlaps an earlier entry, defaulting the protocol.
			out[i] = networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromInt32(max(1, p-3)))}
		}
	}
	return out
}

// bigPeers is N peers: podSelectors with matchLabels (some repeated) and
// matchExpressions, namespaceSelectors alone and with podSelectors,
// ipBlocks with and without except, the last one matching the api pods
// (ingress) or the internet (egress), so a first-match search walks them
// all.
func bigPeers(n, seed int, last networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer {
	out := make([]networkingv1.NetworkPolicyPeer, 0, n)
	ml := func(kv ...string) *metav1.LabelSelector {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return &metav1.LabelSelector{MatchLabels: m}
	}
	for i := range n - 1 {
		j := i + seed*7
		var pe networkingv1.NetworkPolicyPeer
		switch i % 6 {
		case 0:
			pe.PodSelector = ml("client", fmt.Sprintf("c%d", j%2000))
		case 1:
			pe.PodSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{fmt.Sprintf("t%d", j%97), fmt.Sprintf("t%d", j%89)}},
				{Key: "role", Operator: metav1.LabelSelectorOpExists}}}
		case 2:
			pe.NamespaceSelector = ml("env", fmt.Sprintf("e%d", j%50))
			pe.PodSelector = ml("role", "api")
		case 3:
			pe.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "tenant", Operator: metav1.LabelSelectorOpIn, Values: []string{fmt.Sprintf("x%d", j)}}}}
		case 4:
			base := fmt.Sprintf("172.%d.%d.0", 16+(j/256)%16, j%256)
			pe.IPBlock = &networkingv1.IPBlock{CIDR: base + "/24", Except: []string{fmt.Sprintf("172.%d.%d.128/25", 16+(j/256)%16, j%256)}}
		default:
			pe.IPBlock = &networkingv1.IPBlock{CIDR: fmt.Sprintf("100.%d.%d.%d/32", 64+(j/65536)%64, (j/256)%256, j%256)}
		}
		out = append(out, pe)
	}
	return append(out, last)
}

// bigPolicy is the NetworkPolicy "big" of prod, selecting the database:
// kind "ports" has N ports in its ingress rule (from the api pods) and its
// egress rule (to 192.168.0.0/16); kind "peers" has N peers in each.
func bigPolicy(kind string, n, seed int) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "prod", Name: "big"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": "db"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		}}
	api := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "api"}}}
	internet := networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}
	tcp := corev1.ProtocolTCP
	switch kind {
	case "ports":
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{api}, Ports: bigPorts(n, seed)}}
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.168.0.0/16"}}},
			Ports: bigPorts(n, seed+1)}}
	case "peers":
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: bigPeers(n, seed, api),
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: ptr.To(intstr.FromString("mysql"))}}}}
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: bigPeers(n, seed+1, internet),
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: ptr.To(intstr.FromInt32(443))}}}}
	default:
		panic("bigPolicy: unknown kind " + kind)
	}
	return np
}

// bigClusterPolicy is the Admin-tier ClusterNetworkPolicy "big" over
// prod's database: kind "cnp-networks" denies egress to N networks (25 a
// peer, as the CRD allows) and passes the rest; kind "cnp-ports" accepts
// ingress from prod on N protocol entries and denies it from elsewhere.
func bigClusterPolicy(kind string, n, seed int) *npav1beta1.ClusterNetworkPolicy {
	c := &npav1beta1.ClusterNetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1beta1", Kind: "ClusterNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "big"},
		Spec: npav1beta1.ClusterNetworkPolicySpec{Tier: npav1beta1.AdminTier, Priority: 10,
			Subject: npav1beta1.ClusterNetworkPolicySubject{Pods: &npav1beta1.NamespacedPod{
				NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
				PodSelector:       metav1.LabelSelector{MatchLabels: map[string]string{"role": "db"}}}}}}
	everyNS := []npav1beta1.ClusterNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{}}}
	switch kind {
	case "cnp-networks":
		var peers []npav1beta1.ClusterNetworkPolicyEgressPeer
		for i := 0; i < n; i += 25 {
			var nets []npav1beta1.CIDR
			for j := i; j < min(i+25, n); j++ {
				k := j + seed*3
				if j%2 == 0 {
					nets = append(nets, npav1beta1.CIDR(fmt.Sprintf("100.%d.%d.%d/32", 64+(k/65536)%64, (k/256)%256, k%256)))
				} else {
					nets = append(nets, npav1beta1.CIDR(fmt.Sprintf("172.%d.%d.0/24", 16+(k/256)%16, k%256)))
				}
			}
			peers = append(peers, npav1beta1.ClusterNetworkPolicyEgressPeer{Networks: nets})
		}
		c.Spec.Egress = []npav1beta1.ClusterNetworkPolicyEgressRule{
			{Name: "deny-listed", Action: npav1beta1.ClusterNetworkPolicyRuleActionDeny, To: peers},
			{Name: "rest", Action: npav1beta1.ClusterNetworkPolicyRuleActionPass,
				To: []npav1beta1.ClusterNetworkPolicyEgressPeer{{Networks: []npav1beta1.CIDR{"0.0.0.0/0"}}, {Namespaces: &metav1.LabelSelector{}}}},
		}
	case "cnp-ports":
		var protos []npav1beta1.ClusterNetworkPolicyProtocol
		for i, p := range bigPorts(n, seed) {
			var pr npav1beta1.ClusterNetworkPolicyProtocol
			dp := &npav1beta1.Port{}
			switch {
			case p.Port.Type == intstr.String:
				protos = append(protos, npav1beta1.ClusterNetworkPolicyProtocol{DestinationNamedPort: p.Port.StrVal})
				continue
			case p.EndPort != nil && *p.EndPort > p.Port.IntVal:
				dp.Range = &npav1beta1.PortRange{Start: p.Port.IntVal, End: *p.EndPort}
			default:
				dp.Number = p.Port.IntVal
			}
			switch i % 3 {
			case 0:
				pr.TCP = &npav1beta1.ClusterNetworkPolicyProtocolTCP{DestinationPort: dp}
			case 1:
				pr.UDP = &npav1beta1.ClusterNetworkPolicyProtocolUDP{DestinationPort: dp}
			default:
				pr.SCTP = &npav1beta1.ClusterNetworkPolicyProtocolSCTP{DestinationPort: dp}
			}
			protos = append(protos, pr)
		}
		c.Spec.Ingress = []npav1beta1.ClusterNetworkPolicyIngressRule{
			{Name: "from-prod", Action: npav1beta1.ClusterNetworkPolicyRuleActionAccept, Protocols: protos,
				From: []npav1beta1.ClusterNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}}}},
			{Name: "nothing-else", Action: npav1beta1.ClusterNetworkPolicyRuleActionDeny, From: everyNS},
		}
	default:
		panic("bigClusterPolicy: unknown kind " + kind)
	}
	return c
}

// bigKinds are the shapes of huge rules the benchmarks cover.
var bigKinds = []string{"ports", "peers", "cnp-networks", "cnp-ports"}

// bigObjects is the shop with one huge policy of the kind, seeded.
func bigObjects(kind string, n, seed int) []runtime.Object {
	objs := bigShop()
	if kind == "ports" || kind == "peers" {
		return append(objs, bigPolicy(kind, n, seed))
	}
	return append(objs, bigClusterPolicy(kind, n, seed))
}

type bigWorld struct {
	objs       []runtime.Object
	base, next *Snapshot
}

var (
	bigMu     sync.Mutex
	bigWorlds = map[string]*bigWorld{}
)

// bigSnapshots builds, once per kind and size, the snapshot with the huge
// policy and, for diff, the snapshot where it is replaced by the next seed.
func bigSnapshots(b *testing.B, kind string, n int) *bigWorld {
	bigMu.Lock()
	defer bigMu.Unlock()
	k := fmt.Sprint(kind, n)
	if w, ok := bigWorlds[k]; ok {
		return w
	}
	w := &bigWorld{objs: bigObjects(kind, n, 0)}
	var err error
	if w.base, err = NewSnapshot(w.objs, DefaultOptions()); err != nil {
		b.Fatal(err)
	}
	next := bigObjects(kind, n, 1)
	if w.next, err = w.base.With(next[len(next)-1]); err != nil {
		b.Fatal(err)
	}
	bigWorlds[k] = w
	return w
}

// bigSizes are the rule sizes benchmarked: up to what the API server's
// object size limit lets one rule hold.
var bigSizes = []int{1000, 10000, 30000}

// BenchmarkBigRule runs every command against a policy with one huge rule:
// BenchmarkBigRule/KIND/N/COMMAND. "can" asks two questions, one judged by
// the huge ingress rule (api to db on 3306) and one by the huge egress rule
// (db to an address on 443).
func BenchmarkBigRule(b *testing.B) {
	flows := [][]string{{"prod/deployment/api", "prod/deployment/db:3306"}, {"prod/deployment/db", "192.168.7.7:443"}}
	for _, kind := range bigKinds {
		for _, n := range bigSizes {
			b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
				b.Run("snapshot", func(b *testing.B) {
					objs := bigSnapshots(b, kind, n).objs
					for b.Loop() {
						if _, err := NewSnapshot(objs, DefaultOptions()); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("can", func(b *testing.B) {
					s := bigSnapshots(b, kind, n).base
					for b.Loop() {
						s := s.fresh()
						for _, f := range flows {
							flow, err := ParseFlow(f)
							if err != nil {
								b.Fatal(err)
							}
							if _, err := s.Can(flow, "prod"); err != nil {
								b.Fatal(err)
							}
						}
					}
				})
				b.Run("explain", func(b *testing.B) {
					s := bigSnapshots(b, kind, n).base
					e, err := ParseEndpoint("prod/deployment/db")
					if err != nil {
						b.Fatal(err)
					}
					for b.Loop() {
						if _, err := s.fresh().Explain(e, "prod"); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("map", func(b *testing.B) {
					s := bigSnapshots(b, kind, n).base
					for b.Loop() {
						s.fresh().Graph(GraphOptions{})
					}
				})
				b.Run("audit", func(b *testing.B) {
					s := bigSnapshots(b, kind, n).base
					for b.Loop() {
						s.fresh().Audit(AuditOptions{})
					}
				})
				b.Run("diff", func(b *testing.B) {
					w := bigSnapshots(b, kind, n)
					for b.Loop() {
						Diff(w.base.fresh(), w.next.fresh())
					}
				})
			})
		}
	}
}

// fresh is a copy of the snapshot without what queries compute on first
// use and keep (classes), so that each benchmark iteration pays for it as
// one command run does.
func (s *Snapshot) fresh() *Snapshot {
	c := *s
	c.classes, c.classOf, c.bare = nil, nil, nil
	c.dns = &dnsProbe{}
	return &c
}

var bigOut = flag.String("bigpolicy.out", "", "write the manifests of the huge-policy benchmarks, at 30,000 entries, into DIR/KIND/, and the changed huge policy into DIR/KIND-next/")

// TestBigPolicyManifests pins that the generated huge policies are ones
// the API server accepts and the engine compiles, at a small size; with
// -bigpolicy.out it also writes them at the API's size limit, for timing
// the commands end to end.
func TestBigPolicyManifests(t *testing.T) {
	for _, kind := range bigKinds {
		objs := bigObjects(kind, 200, 0)
		if _, err := NewSnapshot(objs, DefaultOptions()); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		if err := gen.WriteManifests(filepath.Join(t.TempDir(), kind), objs); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		if *bigOut != "" {
			if err := gen.WriteManifests(filepath.Join(*bigOut, kind), bigObjects(kind, 30000, 0)); err != nil {
				t.Fatal(err)
			}
			// The policy as diff --with would change it.
			next := bigObjects(kind, 30000, 1)
			if err := gen.WriteManifests(filepath.Join(*bigOut, kind+"-next"), next[len(next)-1:]); err != nil {
				t.Fatal(err)
			}
		}
	}
}
