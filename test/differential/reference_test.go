package differential

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"
)

// TestGenerateValid checks that the generator only produces objects the API
// server would accept, that it is deterministic, and that it actually
// exercises the features it is meant to.
func TestGenerateValid(t *testing.T) {
	features := map[string]int{}
	const n = 1000
	for seed := int64(0); seed < n; seed++ {
		c := Generate(rand.New(rand.NewSource(seed)))
		if err := Validate(c); err != nil {
			t.Fatalf("seed %d: invalid cluster: %v", seed, err)
		}
		if err := Validate(APIServerDefaults(c)); err != nil {
			t.Fatalf("seed %d: invalid defaulted cluster: %v", seed, err)
		}
		c2 := Generate(rand.New(rand.NewSource(seed)))
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("seed %d: generator is not deterministic", seed)
		}
		for _, p := range c.Pods {
			if corev1IsIPv6(p.Status.PodIP) {
				features["ipv6 pod"]++
			}
			for _, ctr := range p.Spec.Containers {
				for _, cp := range ctr.Ports {
					if cp.Protocol == "" {
						features["container port without protocol"]++
					}
				}
			}
		}
		for _, np := range c.Policies {
			countPolicyFeatures(np, features)
		}
		countClusterPolicyFeatures(c, features)
	}
	want := []string{
		"ipv6 pod", "container port without protocol",
		"policyTypes missing", "policyTypes []", "policyTypes Ingress", "policyTypes Egress", "policyTypes both",
		"ingress nil", "ingress []", "ingress [{}]", "egress nil", "egress []", "egress [{}]",
		"podSelector {}", "matchLabels", "In", "NotIn", "Exists", "DoesNotExist",
		"peers nil", "peers []", "peer podSelector", "peer namespaceSelector", "peer namespaceSelector {}", "peer both",
		"ipBlock v4", "ipBlock v6", "ipBlock except",
		"ports nil", "ports []", "protocol nil", "protocol TCP", "protocol UDP", "protocol SCTP",
		"port missing", "port number", "port range", "port named",
	}
	want = append(want, clusterPolicyFeatures...)
	for _, f := range want {
		if features[f] == 0 {
			t.Errorf("generator never produced %q", f)
		}
	}
	t.Logf("feature counts over %d clusters: %v", n, features)
}

func corev1IsIPv6(ip string) bool {
	for _, c := range ip {
		if c == ':' {
			return true
		}
	}
	return false
}

func countPolicyFeatures(np *networkingv1.NetworkPolicy, f map[string]int) {
	switch {
	case np.Spec.PolicyTypes == nil:
		f["policyTypes missing"]++
	case len(np.Spec.PolicyTypes) == 0:
		f["policyTypes []"]++
	case len(np.Spec.PolicyTypes) == 2:
		f["policyTypes both"]++
	default:
		f["policyTypes "+string(np.Spec.PolicyTypes[0])]++
	}
	sel := func(s *metav1.LabelSelector) {
		if len(s.MatchLabels) > 0 {
			f["matchLabels"]++
		}
		for _, e := range s.MatchExpressions {
			f[string(e.Operator)]++
		}
	}
	if len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) == 0 {
		f["podSelector {}"]++
	}
	sel(&np.Spec.PodSelector)
	list := func(dir string, isNil bool, n int, emptyRule bool) {
		switch {
		case isNil:
			f[dir+" nil"]++
		case n == 0:
			f[dir+" []"]++
		case n == 1 && emptyRule:
			f[dir+" [{}]"]++
		}
	}
	list("ingress", np.Spec.Ingress == nil, len(np.Spec.Ingress), len(np.Spec.Ingress) == 1 && np.Spec.Ingress[0].From == nil && np.Spec.Ingress[0].Ports == nil)
	list("egress", np.Spec.Egress == nil, len(np.Spec.Egress), len(np.Spec.Egress) == 1 && np.Spec.Egress[0].To == nil && np.Spec.Egress[0].Ports == nil)
	peers := func(ps []networkingv1.NetworkPolicyPeer) {
		switch {
		case ps == nil:
			f["peers nil"]++
		case len(ps) == 0:
			f["peers []"]++
		}
		for _, p := range ps {
			switch {
			case p.IPBlock != nil:
				if corev1IsIPv6(p.IPBlock.CIDR) {
					f["ipBlock v6"]++
				} else {
					f["ipBlock v4"]++
				}
				if len(p.IPBlock.Except) > 0 {
					f["ipBlock except"]++
				}
			case p.PodSelector != nil && p.NamespaceSelector != nil:
				f["peer both"]++
				sel(p.PodSelector)
				sel(p.NamespaceSelector)
			case p.PodSelector != nil:
				f["peer podSelector"]++
				sel(p.PodSelector)
			default:
				f["peer namespaceSelector"]++
				if len(p.NamespaceSelector.MatchLabels)+len(p.NamespaceSelector.MatchExpressions) == 0 {
					f["peer namespaceSelector {}"]++
				}
				sel(p.NamespaceSelector)
			}
		}
	}
	ports := func(ps []networkingv1.NetworkPolicyPort) {
		switch {
		case ps == nil:
			f["ports nil"]++
		case len(ps) == 0:
			f["ports []"]++
		}
		for _, p := range ps {
			if p.Protocol == nil {
				f["protocol nil"]++
			} else {
				f["protocol "+string(*p.Protocol)]++
			}
			switch {
			case p.Port == nil:
				f["port missing"]++
			case p.Port.Type == intstr.String:
				f["port named"]++
			case p.EndPort != nil:
				f["port range"]++
			default:
				f["port number"]++
			}
		}
	}
	for _, r := range np.Spec.Ingress {
		peers(r.From)
		ports(r.Ports)
	}
	for _, r := range np.Spec.Egress {
		peers(r.To)
		ports(r.Ports)
	}
}

// TestReferenceSanity checks the reference harness on hand-written cases
// with known answers, so that a broken harness cannot pass silently.
func TestReferenceSanity(t *testing.T) {
	ns := func(name string, labels map[string]string) *corev1.Namespace {
		l := map[string]string{"kubernetes.io/metadata.name": name}
		for k, v := range labels {
			l[k] = v
		}
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
	}
	pod := func(ns, name, ip string, labels map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
			Spec:       corev1.PodSpec{NodeName: NodeName, Containers: []corev1.Container{{Name: "c", Ports: ports}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
		}
	}
	port := func(s string) *intstr.IntOrString { p := intstr.Parse(s); return &p }
	udp := corev1.ProtocolUDP
	base := Cluster{
		Namespaces: []*corev1.Namespace{ns("x", map[string]string{"env": "prod"}), ns("y", nil)},
		Pods: []*corev1.Pod{
			pod("x", "a", "10.0.0.10", map[string]string{"app": "web"}, corev1.ContainerPort{Name: "http", ContainerPort: 8080}),
			pod("x", "b", "10.0.0.11", map[string]string{"app": "db"}),
			pod("y", "c", "10.0.1.10", map[string]string{"app": "web"}),
		},
	}
	type flow struct {
		src, dst string
		port     int
		proto    corev1.Protocol
		want     bool
	}
	cases := []struct {
		name     string
		policies []*networkingv1.NetworkPolicy
		flows    []flow
	}{
		{"no policies", nil, []flow{
			{"10.0.0.11", "10.0.0.10", 80, "TCP", true},
			{"192.0.2.1", "10.0.0.10", 80, "TCP", true},
		}},
		{"default deny ingress", []*networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "deny"},
			Spec:       networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{}},
		}}, []flow{
			{"10.0.0.11", "10.0.0.10", 80, "TCP", false},
			{"10.0.1.10", "10.0.0.11", 53, "UDP", false},
			{"10.0.0.10", "10.0.1.10", 80, "TCP", true}, // y is not isolated
			{"192.0.2.1", "10.0.0.10", 80, "TCP", false},
		}},
		{"ingress: [] without policyTypes still denies", []*networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "deny"},
			Spec:       networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{}, Egress: []networkingv1.NetworkPolicyEgressRule{}},
		}}, []flow{
			{"10.0.0.11", "10.0.0.10", 80, "TCP", false},
			{"10.0.0.10", "10.0.1.10", 80, "TCP", true}, // egress not isolated
		}},
		{"allow from podSelector", []*networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "allow-db"},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}},
				}},
			},
		}}, []flow{
			{"10.0.0.11", "10.0.0.10", 80, "TCP", true},
			{"10.0.1.10", "10.0.0.10", 80, "TCP", false}, // podSelector alone: own namespace only
			{"192.0.2.1", "10.0.0.10", 80, "TCP", false},
		}},
		{"named port, UDP rule does not match TCP container port", []*networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "named"},
			Spec: networkingv1.NetworkPolicySpec{
				Ingress: []networkingv1.NetworkPolicyIngressRule{
					{Ports: []networkingv1.NetworkPolicyPort{{Port: port("http")}}},
					{Ports: []networkingv1.NetworkPolicyPort{{Port: port("http"), Protocol: &udp}}},
				},
			},
		}}, []flow{
			{"10.0.0.11", "10.0.0.10", 8080, "TCP", true},
			{"10.0.0.11", "10.0.0.10", 8080, "UDP", false},
			{"10.0.0.11", "10.0.0.10", 80, "TCP", false},
			{"10.0.0.10", "10.0.0.11", 8080, "TCP", false}, // b declares no http
		}},
		{"egress ipBlock with except", []*networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "egress"},
			Spec: networkingv1.NetworkPolicySpec{
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
				Egress: []networkingv1.NetworkPolicyEgressRule{{
					To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"10.0.0.0/24"}}}},
				}},
			},
		}}, []flow{
			{"10.0.0.10", "10.0.1.10", 80, "TCP", true},
			{"10.0.0.10", "10.0.0.11", 80, "TCP", false},
			{"10.0.0.10", "192.0.2.1", 80, "TCP", false},
			{"10.0.1.10", "10.0.0.10", 80, "TCP", true}, // ingress not isolated
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Policies = tc.policies
			if err := Validate(c); err != nil {
				t.Fatal(err)
			}
			ref, err := NewReference(APIServerDefaults(c))
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Close()
			for _, f := range tc.flows {
				got, err := ref.Allowed(f.src, f.dst, f.port, f.proto)
				if err != nil {
					t.Fatal(err)
				}
				if got != f.want {
					t.Errorf("%s -> %s:%d/%s: got %v, want %v", f.src, f.dst, f.port, f.proto, got, f.want)
				}
			}
		})
	}
}

// TestYAMLRoundTrip checks that the YAML in reports is a faithful
// reproducer: decoding it gives back exactly the generated objects,
// including `ingress: []` versus a missing ingress.
func TestYAMLRoundTrip(t *testing.T) {
	for seed := int64(0); seed < 100; seed++ {
		c := Generate(rand.New(rand.NewSource(seed)))
		var got Cluster
		for _, doc := range strings.Split(ClusterYAML(c), "---\n") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatal(err)
			}
			var err error
			switch tm.Kind {
			case "Namespace":
				o := &corev1.Namespace{}
				err = yaml.Unmarshal([]byte(doc), o)
				got.Namespaces = append(got.Namespaces, o)
			case "Pod":
				o := &corev1.Pod{}
				err = yaml.Unmarshal([]byte(doc), o)
				got.Pods = append(got.Pods, o)
			case "NetworkPolicy":
				o := &networkingv1.NetworkPolicy{}
				err = yaml.Unmarshal([]byte(doc), o)
				got.Policies = append(got.Policies, o)
			case "ClusterNetworkPolicy": // v1alpha2 or v1beta1: same schema
				o := &npav1alpha2.ClusterNetworkPolicy{}
				err = yaml.Unmarshal([]byte(doc), o)
				got.CNPs = append(got.CNPs, o)
			case "AdminNetworkPolicy":
				o := &npav1alpha1.AdminNetworkPolicy{}
				err = yaml.Unmarshal([]byte(doc), o)
				got.ANPs = append(got.ANPs, o)
			case "BaselineAdminNetworkPolicy":
				got.BANP = &npav1alpha1.BaselineAdminNetworkPolicy{}
				err = yaml.Unmarshal([]byte(doc), got.BANP)
			default:
				t.Fatalf("seed %d: unexpected kind %q in\n%s", seed, tm.Kind, doc)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		got.Family = c.Family
		if !reflect.DeepEqual(c, got) {
			t.Fatalf("seed %d: YAML does not round-trip:\n%s", seed, ClusterYAML(c))
		}
	}
}
