package differential

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// refFlow is a flow with the reference's expected verdict; perDirection is
// the expected verdict of the per-direction NetworkPolicy variant where it
// differs (nil: same as want).
type refFlow struct {
	src, dst     string
	port         int
	proto        corev1.Protocol
	want         bool
	perDirection *bool
}

func ptr[T any](v T) *T { return &v }

// sanityBase is a small cluster: x/a (app=web, port http 8080/TCP),
// x/b (app=db), y/c (app=web). Namespace x has env=prod.
func sanityBase() Cluster {
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
	return Cluster{
		Family:     FamilyNP,
		Namespaces: []*corev1.Namespace{ns("x", map[string]string{"env": "prod"}), ns("y", nil)},
		Pods: []*corev1.Pod{
			pod("x", "a", "10.0.0.10", map[string]string{"app": "web"}, corev1.ContainerPort{Name: "http", ContainerPort: 8080}),
			pod("x", "b", "10.0.0.11", map[string]string{"app": "db"}),
			pod("y", "c", "10.0.1.10", map[string]string{"app": "web"}),
		},
	}
}

func checkReferenceFlows(t *testing.T, c Cluster, flows []refFlow) {
	t.Helper()
	if err := Validate(c); err != nil {
		t.Fatal(err)
	}
	ref, err := NewReference(APIServerDefaults(c))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	for _, f := range flows {
		got, err := ref.Allowed(f.src, f.dst, f.port, f.proto)
		if err != nil {
			t.Fatal(err)
		}
		if got != f.want {
			t.Errorf("%s -> %s:%d/%s: got %v, want %v", f.src, f.dst, f.port, f.proto, got, f.want)
		}
		want := f.want
		if f.perDirection != nil {
			want = *f.perDirection
		}
		if got, err = ref.AllowedNPPerDirection(f.src, f.dst, f.port, f.proto); err != nil {
			t.Fatal(err)
		} else if got != want {
			t.Errorf("%s -> %s:%d/%s: per-direction variant: got %v, want %v", f.src, f.dst, f.port, f.proto, got, want)
		}
	}
}

func sel(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{}
	for i := 0; i+1 < len(kv); i += 2 {
		if s.MatchLabels == nil {
			s.MatchLabels = map[string]string{}
		}
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

func nsName(n string) *metav1.LabelSelector { return sel("kubernetes.io/metadata.name", n) }

// Sanity NetworkPolicies in namespace x.
var (
	npAllowAllIngressToX = &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "allow-all"},
		Spec:       networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{}}},
	}
	npDenyAllIngressToX = &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "deny-all"},
		Spec:       networkingv1.NetworkPolicySpec{},
	}
	// Ingress-only policy selecting x/a: x/a is isolated for ingress only.
	npIngressOnlyA = &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "a-ingress"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: *sel("app", "web"),
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("app", "db")}}}},
		},
	}
)

func cnp(name string, tier npav1alpha2.Tier, prio int32, subject npav1alpha2.ClusterNetworkPolicySubject) *npav1alpha2.ClusterNetworkPolicy {
	return &npav1alpha2.ClusterNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: cnpV1alpha2APIVersion, Kind: "ClusterNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       npav1alpha2.ClusterNetworkPolicySpec{Tier: tier, Priority: prio, Subject: subject},
	}
}

func cnpIngress(action npav1alpha2.ClusterNetworkPolicyRuleAction, from *metav1.LabelSelector, protos ...npav1alpha2.ClusterNetworkPolicyProtocol) npav1alpha2.ClusterNetworkPolicyIngressRule {
	return npav1alpha2.ClusterNetworkPolicyIngressRule{Action: action, From: []npav1alpha2.ClusterNetworkPolicyIngressPeer{{Namespaces: from}}, Protocols: protos}
}

// TestReferenceClusterNetworkPolicySanity checks the v1alpha2 pipeline
// [Admin CNP, NetworkPolicy, Baseline CNP] on hand-written cases.
func TestReferenceClusterNetworkPolicySanity(t *testing.T) {
	const (
		accept = npav1alpha2.ClusterNetworkPolicyRuleActionAccept
		deny   = npav1alpha2.ClusterNetworkPolicyRuleActionDeny
		pass   = npav1alpha2.ClusterNetworkPolicyRuleActionPass
		admin  = npav1alpha2.AdminTier
		base   = npav1alpha2.BaselineTier
	)
	xSubject := npav1alpha2.ClusterNetworkPolicySubject{Namespaces: nsName("x")}
	all := npav1alpha2.ClusterNetworkPolicySubject{Namespaces: &metav1.LabelSelector{}}
	tcp := func(n int32) npav1alpha2.ClusterNetworkPolicyProtocol {
		return npav1alpha2.ClusterNetworkPolicyProtocol{TCP: &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1alpha2.Port{Number: n}}}
	}
	named := func(n string) npav1alpha2.ClusterNetworkPolicyProtocol {
		return npav1alpha2.ClusterNetworkPolicyProtocol{DestinationNamedPort: n}
	}
	cases := []struct {
		name  string
		nps   []*networkingv1.NetworkPolicy
		cnps  func() []*npav1alpha2.ClusterNetworkPolicy
		flows []refFlow
	}{
		{"Admin Deny beats NetworkPolicy allow", []*networkingv1.NetworkPolicy{npAllowAllIngressToX}, func() []*npav1alpha2.ClusterNetworkPolicy {
			p := cnp("deny-y", admin, 10, xSubject)
			p.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(deny, nsName("y"))}
			return []*npav1alpha2.ClusterNetworkPolicy{p}
		}, []refFlow{
			{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: false},
			{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: true},
			{src: "192.0.2.1", dst: "10.0.0.10", port: 80, proto: "TCP", want: true}, // ingress peers are pods only
		}},
		{"Admin Accept beats NetworkPolicy deny", []*networkingv1.NetworkPolicy{npDenyAllIngressToX}, func() []*npav1alpha2.ClusterNetworkPolicy {
			p := cnp("accept-y", admin, 10, xSubject)
			p.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(accept, nsName("y"))}
			return []*npav1alpha2.ClusterNetworkPolicy{p}
		}, []refFlow{
			{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: true},
			{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: false},
		}},
		{"Pass skips the rest of the Admin tier", []*networkingv1.NetworkPolicy{npDenyAllIngressToX}, func() []*npav1alpha2.ClusterNetworkPolicy {
			// Names sort the other way round from priorities.
			p := cnp("z-pass", admin, 1, xSubject)
			p.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(pass, nsName("x"))}
			q := cnp("a-accept", admin, 2, xSubject)
			q.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(accept, &metav1.LabelSelector{})}
			return []*npav1alpha2.ClusterNetworkPolicy{q, p}
		}, []refFlow{
			{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: false}, // passed to the NetworkPolicy
			{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: true},  // accepted by a-accept
		}},
		{"Baseline applies to pods no NetworkPolicy selects", []*networkingv1.NetworkPolicy{npIngressOnlyA}, func() []*npav1alpha2.ClusterNetworkPolicy {
			p := cnp("baseline-deny", base, 0, all)
			p.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(deny, &metav1.LabelSelector{})}
			return []*npav1alpha2.ClusterNetworkPolicy{p}
		}, []refFlow{
			{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: true},  // NetworkPolicy allows db -> web
			{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: false}, // NetworkPolicy denies
			{src: "10.0.0.10", dst: "10.0.0.11", port: 80, proto: "TCP", want: false}, // x/b: Baseline
			{src: "192.0.2.1", dst: "10.0.0.11", port: 80, proto: "TCP", want: true},  // external source: no peer matches
		}},
		{"Admin priority, then the tier", nil, func() []*npav1alpha2.ClusterNetworkPolicy {
			p := cnp("a-accept", admin, 20, xSubject)
			p.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(accept, &metav1.LabelSelector{})}
			q := cnp("b-deny", admin, 10, xSubject)
			q.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(deny, nsName("y"))}
			r := cnp("c-baseline-accept", base, 0, xSubject)
			r.Spec.Ingress = []npav1alpha2.ClusterNetworkPolicyIngressRule{cnpIngress(accept, &metav1.LabelSelector{})}
			return []*npav1alpha2.ClusterNetworkPolicy{p, q, r}
		}, []refFlow{
			{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: false},
			{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: true},
		}},
		{"egress networks, pods and protocols", nil, func() []*npav1alpha2.ClusterNetworkPolicy {
			p := cnp("egress", admin, 5, xSubject)
			p.Spec.Egress = []npav1alpha2.ClusterNetworkPolicyEgressRule{
				{Action: deny, To: []npav1alpha2.ClusterNetworkPolicyEgressPeer{{Networks: []npav1alpha2.CIDR{"8.8.8.0/24", "10.0.1.0/24"}}}},
				{Action: deny, To: []npav1alpha2.ClusterNetworkPolicyEgressPeer{{Pods: &npav1alpha2.NamespacedPod{PodSelector: *sel("app", "web")}}},
					Protocols: []npav1alpha2.ClusterNetworkPolicyProtocol{tcp(80), named("http")}},
			}
			return []*npav1alpha2.ClusterNetworkPolicy{p}
		}, []refFlow{
			{src: "10.0.0.10", dst: "8.8.8.8", port: 53, proto: "UDP", want: false},
			{src: "10.0.0.10", dst: "192.0.2.10", port: 53, proto: "UDP", want: true},
			{src: "10.0.0.11", dst: "10.0.1.10", port: 1, proto: "SCTP", want: false}, // networks match pod IPs
			{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: false},
			{src: "10.0.0.11", dst: "10.0.0.10", port: 8080, proto: "TCP", want: false}, // named port http
			{src: "10.0.0.11", dst: "10.0.0.10", port: 8080, proto: "UDP", want: true},  // http is TCP
			{src: "10.0.0.11", dst: "10.0.0.10", port: 81, proto: "TCP", want: true},
		}},
		{"known divergence: NetworkPolicy without Egress hides the Baseline tier for egress", []*networkingv1.NetworkPolicy{npIngressOnlyA}, func() []*npav1alpha2.ClusterNetworkPolicy {
			p := cnp("baseline-deny-egress", base, 0, xSubject)
			p.Spec.Egress = []npav1alpha2.ClusterNetworkPolicyEgressRule{{Action: deny, To: []npav1alpha2.ClusterNetworkPolicyEgressPeer{{Namespaces: &metav1.LabelSelector{}}}}}
			return []*npav1alpha2.ClusterNetworkPolicy{p}
		}, []refFlow{
			// x/a is selected by an Ingress-only NetworkPolicy: the
			// reference accepts its egress in the NetworkPolicy tier.
			{src: "10.0.0.10", dst: "10.0.1.10", port: 80, proto: "TCP", want: true, perDirection: ptr(false)},
			// x/b is selected by no NetworkPolicy: Baseline denies.
			{src: "10.0.0.11", dst: "10.0.1.10", port: 80, proto: "TCP", want: false},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := sanityBase()
			c.Family = FamilyCNP
			c.Policies = tc.nps
			c.CNPs = tc.cnps()
			checkReferenceFlows(t, c, tc.flows)
			// The same with the policies marked v1beta1 for the engine: the
			// reference still gets v1alpha2.
			for _, p := range c.CNPs {
				p.APIVersion = cnpV1beta1APIVersion
			}
			checkReferenceFlows(t, c, tc.flows)
		})
	}
}

// TestReferenceAdminNetworkPolicySanity checks the v1alpha1 pipeline [ANP,
// NetworkPolicy, BANP] on hand-written cases.
func TestReferenceAdminNetworkPolicySanity(t *testing.T) {
	const (
		allow = npav1alpha1.AdminNetworkPolicyRuleActionAllow
		deny  = npav1alpha1.AdminNetworkPolicyRuleActionDeny
		pass  = npav1alpha1.AdminNetworkPolicyRuleActionPass
	)
	xSubject := npav1alpha1.AdminNetworkPolicySubject{Namespaces: nsName("x")}
	anp := func(name string, prio int32, rules ...npav1alpha1.AdminNetworkPolicyIngressRule) *npav1alpha1.AdminNetworkPolicy {
		return &npav1alpha1.AdminNetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: anpAPIVersion, Kind: "AdminNetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       npav1alpha1.AdminNetworkPolicySpec{Priority: prio, Subject: xSubject, Ingress: rules},
		}
	}
	from := func(action npav1alpha1.AdminNetworkPolicyRuleAction, ns *metav1.LabelSelector, ports ...npav1alpha1.AdminNetworkPolicyPort) npav1alpha1.AdminNetworkPolicyIngressRule {
		r := npav1alpha1.AdminNetworkPolicyIngressRule{Action: action, From: []npav1alpha1.AdminNetworkPolicyIngressPeer{{Namespaces: ns}}}
		if ports != nil {
			r.Ports = &ports
		}
		return r
	}
	banpDenyEgress := &npav1alpha1.BaselineAdminNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: anpAPIVersion, Kind: "BaselineAdminNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: npav1alpha1.BaselineAdminNetworkPolicySpec{
			Subject: xSubject,
			Egress: []npav1alpha1.BaselineAdminNetworkPolicyEgressRule{{
				Action: npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny,
				To:     []npav1alpha1.BaselineAdminNetworkPolicyEgressPeer{{Networks: []npav1alpha1.CIDR{"0.0.0.0/0"}}},
			}},
		},
	}
	cases := []struct {
		name  string
		nps   []*networkingv1.NetworkPolicy
		anps  []*npav1alpha1.AdminNetworkPolicy
		banp  *npav1alpha1.BaselineAdminNetworkPolicy
		flows []refFlow
	}{
		{"ANP Deny beats NetworkPolicy allow", []*networkingv1.NetworkPolicy{npAllowAllIngressToX},
			[]*npav1alpha1.AdminNetworkPolicy{anp("deny-y", 3, from(deny, nsName("y")))}, nil, []refFlow{
				{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: false},
				{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: true},
			}},
		{"ANP Pass goes to the NetworkPolicy", []*networkingv1.NetworkPolicy{npDenyAllIngressToX},
			[]*npav1alpha1.AdminNetworkPolicy{anp("b", 1, from(pass, nsName("x"))), anp("a", 2, from(allow, &metav1.LabelSelector{}))}, nil, []refFlow{
				{src: "10.0.0.11", dst: "10.0.0.10", port: 80, proto: "TCP", want: false},
				{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: true},
			}},
		{"ports: number with defaulted protocol, range", nil,
			[]*npav1alpha1.AdminNetworkPolicy{anp("ports", 1, from(deny, &metav1.LabelSelector{},
				npav1alpha1.AdminNetworkPolicyPort{PortNumber: &npav1alpha1.Port{Port: 80}},
				npav1alpha1.AdminNetworkPolicyPort{PortRange: &npav1alpha1.PortRange{Protocol: corev1.ProtocolUDP, Start: 50, End: 60}},
			))}, nil, []refFlow{
				{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "TCP", want: false},
				{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "UDP", want: true},
				{src: "10.0.1.10", dst: "10.0.0.10", port: 53, proto: "UDP", want: false},
				{src: "10.0.1.10", dst: "10.0.0.10", port: 61, proto: "UDP", want: true},
			}},
		{"reference quirk: v1alpha1 namedPort matches every port of a pod declaring the name", nil,
			[]*npav1alpha1.AdminNetworkPolicy{anp("named", 1, from(deny, &metav1.LabelSelector{},
				npav1alpha1.AdminNetworkPolicyPort{NamedPort: ptr("http")},
			))}, nil, []refFlow{
				{src: "10.0.1.10", dst: "10.0.0.10", port: 8080, proto: "TCP", want: false},
				{src: "10.0.1.10", dst: "10.0.0.10", port: 80, proto: "UDP", want: false},  // http is 8080/TCP
				{src: "10.0.1.10", dst: "10.0.0.11", port: 8080, proto: "TCP", want: true}, // x/b declares no http
			}},
		{"BANP applies to pods no NetworkPolicy isolates; known divergence for egress", []*networkingv1.NetworkPolicy{npIngressOnlyA},
			nil, banpDenyEgress, []refFlow{
				{src: "10.0.0.11", dst: "10.0.1.10", port: 80, proto: "TCP", want: false},
				{src: "10.0.0.11", dst: "8.8.8.8", port: 80, proto: "TCP", want: false},
				{src: "10.0.0.10", dst: "8.8.8.8", port: 80, proto: "TCP", want: true, perDirection: ptr(false)},
				{src: "10.0.1.10", dst: "10.0.0.11", port: 80, proto: "TCP", want: true},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := sanityBase()
			c.Family = FamilyANP
			c.Policies = tc.nps
			c.ANPs = tc.anps
			c.BANP = tc.banp
			checkReferenceFlows(t, c, tc.flows)
		})
	}
}

// clusterPolicyFeatures are the cluster-scoped policy features
// TestGenerateValid requires the generator to produce.
var clusterPolicyFeatures = []string{
	"family np", "family cnp", "family anp", "cnp family without NetworkPolicies",
	"cnp v1alpha2", "cnp v1beta1", "cnp cluster with both versions",
	"cnp Admin", "cnp Baseline", "cnp same priority in both tiers",
	"cnp action Accept", "cnp action Deny", "cnp action Pass",
	"cnp subject namespaces", "cnp subject pods", "cnp no ingress rules", "cnp no egress rules",
	"cnp peer namespaces", "cnp peer pods", "cnp peer networks v4", "cnp peer networks v6",
	"cnp protocols nil", "cnp TCP number", "cnp UDP range", "cnp SCTP number", "cnp destinationNamedPort",
	"anp", "banp", "anp action Allow", "anp action Deny", "anp action Pass", "banp action Allow", "banp action Deny",
	"anp subject namespaces", "anp subject pods", "anp peer networks", "anp peer pods", "anp peer namespaces",
	"anp ports nil", "anp portNumber", "anp portRange", "anp namedPort", "anp protocol missing", "anp protocol UDP",
}

func countClusterPolicyFeatures(c Cluster, f map[string]int) {
	f["family "+string(c.Family)]++
	if c.Family != FamilyNP && len(c.Policies) == 0 {
		f[string(c.Family)+" family without NetworkPolicies"]++
	}
	versions := map[string]bool{}
	prios := map[int32]map[npav1alpha2.Tier]bool{}
	for _, p := range c.CNPs {
		versions[p.APIVersion] = true
		f["cnp "+p.APIVersion[len(cnpGroup)+1:]]++
		f["cnp "+string(p.Spec.Tier)]++
		if prios[p.Spec.Priority] == nil {
			prios[p.Spec.Priority] = map[npav1alpha2.Tier]bool{}
		}
		prios[p.Spec.Priority][p.Spec.Tier] = true
		if p.Spec.Subject.Namespaces != nil {
			f["cnp subject namespaces"]++
		} else {
			f["cnp subject pods"]++
		}
		if len(p.Spec.Ingress) == 0 {
			f["cnp no ingress rules"]++
		}
		if len(p.Spec.Egress) == 0 {
			f["cnp no egress rules"]++
		}
		protos := func(ps []npav1alpha2.ClusterNetworkPolicyProtocol) {
			if ps == nil {
				f["cnp protocols nil"]++
			}
			for _, x := range ps {
				proto := "TCP"
				switch {
				case x.DestinationNamedPort != "":
					f["cnp destinationNamedPort"]++
					continue
				case x.UDP != nil:
					proto = "UDP"
				case x.SCTP != nil:
					proto = "SCTP"
				}
				if d := cnpDestinationPort(x); d.Range != nil {
					f["cnp "+proto+" range"]++
				} else {
					f["cnp "+proto+" number"]++
				}
			}
		}
		for _, r := range p.Spec.Ingress {
			f["cnp action "+string(r.Action)]++
			protos(r.Protocols)
			for _, peer := range r.From {
				if peer.Namespaces != nil {
					f["cnp peer namespaces"]++
				} else {
					f["cnp peer pods"]++
				}
			}
		}
		for _, r := range p.Spec.Egress {
			f["cnp action "+string(r.Action)]++
			protos(r.Protocols)
			for _, peer := range r.To {
				switch {
				case peer.Namespaces != nil:
					f["cnp peer namespaces"]++
				case peer.Pods != nil:
					f["cnp peer pods"]++
				}
				for _, n := range peer.Networks {
					if corev1IsIPv6(string(n)) {
						f["cnp peer networks v6"]++
					} else {
						f["cnp peer networks v4"]++
					}
				}
			}
		}
	}
	if len(versions) == 2 {
		f["cnp cluster with both versions"]++
	}
	for _, tiers := range prios {
		if len(tiers) == 2 {
			f["cnp same priority in both tiers"]++
		}
	}
	ports := func(ps *[]npav1alpha1.AdminNetworkPolicyPort) {
		if ps == nil {
			f["anp ports nil"]++
			return
		}
		for _, p := range *ps {
			var proto corev1.Protocol
			switch {
			case p.NamedPort != nil:
				f["anp namedPort"]++
				continue
			case p.PortNumber != nil:
				f["anp portNumber"]++
				proto = p.PortNumber.Protocol
			default:
				f["anp portRange"]++
				proto = p.PortRange.Protocol
			}
			if proto == "" {
				f["anp protocol missing"]++
			} else {
				f["anp protocol "+string(proto)]++
			}
		}
	}
	subject := func(s npav1alpha1.AdminNetworkPolicySubject) {
		if s.Namespaces != nil {
			f["anp subject namespaces"]++
		} else {
			f["anp subject pods"]++
		}
	}
	egressPeer := func(ns *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod, nets []npav1alpha1.CIDR) {
		switch {
		case ns != nil:
			f["anp peer namespaces"]++
		case pods != nil:
			f["anp peer pods"]++
		case len(nets) > 0:
			f["anp peer networks"]++
		}
	}
	for _, p := range c.ANPs {
		f["anp"]++
		subject(p.Spec.Subject)
		for _, r := range p.Spec.Ingress {
			f["anp action "+string(r.Action)]++
			ports(r.Ports)
		}
		for _, r := range p.Spec.Egress {
			f["anp action "+string(r.Action)]++
			ports(r.Ports)
			for _, peer := range r.To {
				egressPeer(peer.Namespaces, peer.Pods, peer.Networks)
			}
		}
	}
	if b := c.BANP; b != nil {
		f["banp"]++
		subject(b.Spec.Subject)
		for _, r := range b.Spec.Ingress {
			f["banp action "+string(r.Action)]++
			ports(r.Ports)
		}
		for _, r := range b.Spec.Egress {
			f["banp action "+string(r.Action)]++
			ports(r.Ports)
			for _, peer := range r.To {
				egressPeer(peer.Namespaces, peer.Pods, peer.Networks)
			}
		}
	}
}
