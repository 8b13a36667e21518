package query

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// genDeploy is a Deployment selecting by selector, its pods labelled
// template, with the given container ports.
func genDeploy(ns, name, selector, template string, ports ...corev1.ContainerPort) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: mustLabels(selector)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: mustLabels(template)},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
			},
		},
	}
}

// genWorld is a small shop: web, api and db in prod, a client in dev,
// CoreDNS in kube-system.
func genWorld() []runtime.Object {
	return []runtime.Object{
		testNamespace("prod", "kubernetes.io/metadata.name=prod"),
		testNamespace("dev", "kubernetes.io/metadata.name=dev"),
		testNamespace("kube-system", "kubernetes.io/metadata.name=kube-system"),
		genDeploy("prod", "web", "app=web", "app=web,tier=front", corev1.ContainerPort{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}),
		genDeploy("prod", "api", "app=api", "app=api,tier=back", corev1.ContainerPort{ContainerPort: 5000, Protocol: corev1.ProtocolTCP}),
		genDeploy("prod", "db", "app=db", "app=db,tier=data", corev1.ContainerPort{Name: "mysql", ContainerPort: 3306, Protocol: corev1.ProtocolTCP}),
		genDeploy("dev", "client", "app=client", "app=client"),
		genDeploy("kube-system", "coredns", "k8s-app=kube-dns", "k8s-app=kube-dns"),
	}
}

func gflow(t *testing.T, from, to string, allow bool) GenerateFlow {
	t.Helper()
	f, err := ParseFlow([]string{from, to})
	if err != nil {
		t.Fatal(err)
	}
	return GenerateFlow{Where: "t.yaml:1", From: from, To: to, Allow: allow, Flow: f}
}

func generate(t *testing.T, objs []runtime.Object, opts GenerateOptions, flows ...GenerateFlow) *Generated {
	t.Helper()
	opts.DefaultNamespace = "prod"
	g, err := testSnapshot(t, DefaultOptions(), objs...).Generate(flows, opts)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return g
}

// npNamed returns the generated NetworkPolicy ns/name.
func npNamed(t *testing.T, g *Generated, key string) *networkingv1.NetworkPolicy {
	t.Helper()
	for _, p := range g.Policies {
		if p.Namespace+"/"+p.Name == key {
			return p.Object.(*networkingv1.NetworkPolicy)
		}
	}
	t.Fatalf("no generated policy %s", key)
	return nil
}

func asYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGenerateSelects(t *testing.T) {
	t.Run("a workload by its own selector when it selects exactly its pods", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "prod/web", "prod/api:5000", true))
		if got := npNamed(t, g, "prod/api").Spec.PodSelector.MatchLabels; !cmp.Equal(got, map[string]string{"app": "api"}) {
			t.Errorf("api selected by %v", got)
		}
		if c := g.Policies[2].Comment; !strings.Contains(c, "spec.selector") {
			t.Errorf("comment %q does not say why", c)
		}
	})
	t.Run("by its pods' stable labels when its selector also selects another workload's pods", func(t *testing.T) {
		objs := append(genWorld(), genDeploy("prod", "api-canary", "app=api,track=canary", "app=api,track=canary"))
		g := generate(t, objs, GenerateOptions{}, gflow(t, "prod/web", "prod/deploy/api:5000", true))
		if got := npNamed(t, g, "prod/api").Spec.PodSelector.MatchLabels; !cmp.Equal(got, map[string]string{"app": "api", "tier": "back"}) {
			t.Errorf("api selected by %v", got)
		}
	})
	t.Run("never by the labels controllers write", func(t *testing.T) {
		objs := append(genWorld(), testPod("prod/job-1", "app=batch,pod-template-hash=7d4f9,controller-uid=1234", ""))
		g := generate(t, objs, GenerateOptions{}, gflow(t, "prod/job-1", "prod/api:5000", true))
		if got := npNamed(t, g, "prod/job-1").Spec.PodSelector.MatchLabels; !cmp.Equal(got, map[string]string{"app": "batch"}) {
			t.Errorf("the bare pod selected by %v", got)
		}
	})
	t.Run("labels shared with another workload are said to select it too", func(t *testing.T) {
		objs := append(genWorld(), genDeploy("prod", "api-v2", "app=api,tier=back", "app=api,tier=back"))
		s := testSnapshot(t, DefaultOptions(), objs...)
		g, err := s.Generate([]GenerateFlow{gflow(t, "prod/web", "prod/deploy/api:5000", true)}, GenerateOptions{DefaultNamespace: "prod"})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range g.Policies {
			found = found || strings.Contains(p.Comment, "also select deployment prod/api-v2")
		}
		if !found {
			t.Errorf("no comment names the other workload:\n%s", asYAML(t, g.Policies))
		}
		if len(g.Proof.AlsoAllowed) == 0 {
			t.Errorf("the proof does not count what the shared labels also allow")
		}
	})
	t.Run("pods with no stable label are an error", func(t *testing.T) {
		objs := append(genWorld(), testPod("prod/lonely", "pod-template-hash=abc", ""))
		_, err := testSnapshot(t, DefaultOptions(), objs...).Generate([]GenerateFlow{gflow(t, "prod/lonely", "prod/api:5000", true)}, GenerateOptions{DefaultNamespace: "prod"})
		if err == nil || !strings.Contains(err.Error(), "no NetworkPolicy selects them alone") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestGenerateRules(t *testing.T) {
	tcp := corev1.ProtocolTCP
	port := func(p intstr.IntOrString) networkingv1.NetworkPolicyPort {
		return networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &p}
	}
	t.Run("ingress ports by the destination's container port name, egress ports by number", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "prod/api", "prod/db:3306", true))
		if got := npNamed(t, g, "prod/db").Spec.Ingress[0].Ports; !cmp.Equal(got, []networkingv1.NetworkPolicyPort{port(intstr.FromString("mysql"))}) {
			t.Errorf("ingress ports %s", asYAML(t, got))
		}
		if got := npNamed(t, g, "prod/api").Spec.Egress[0].Ports; !cmp.Equal(got, []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(3306))}) {
			t.Errorf("egress ports %s", asYAML(t, got))
		}
	})
	t.Run("a peer of another namespace by kubernetes.io/metadata.name", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{Namespaces: []string{"prod"}}, gflow(t, "dev/client", "prod/web:8080", true))
		peer := npNamed(t, g, "prod/web").Spec.Ingress[0].From[0]
		if peer.NamespaceSelector == nil || !cmp.Equal(peer.NamespaceSelector.MatchLabels, map[string]string{NamespaceNameLabel: "dev"}) ||
			!cmp.Equal(peer.PodSelector.MatchLabels, map[string]string{"app": "client"}) {
			t.Errorf("peer %s", asYAML(t, peer))
		}
	})
	t.Run("peers that need the same ports share a rule", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "prod/web", "prod/db:3306", true), gflow(t, "prod/api", "prod/db:3306", true),
			gflow(t, "dev/client", "prod/db:3307", true))
		in := npNamed(t, g, "prod/db").Spec.Ingress
		if len(in) != 2 || len(in[0].From)+len(in[1].From) != 3 {
			t.Errorf("ingress %s", asYAML(t, in))
		}
	})
	t.Run("addresses outside the cluster by /32, merged, or widened on request", func(t *testing.T) {
		flows := []GenerateFlow{gflow(t, "prod/db", "192.168.5.10:80", true), gflow(t, "prod/db", "192.168.5.11:80", true), gflow(t, "prod/db", "192.168.5.12:80", true)}
		g := generate(t, genWorld(), GenerateOptions{}, flows...)
		var got []string
		for _, p := range npNamed(t, g, "prod/db").Spec.Egress[0].To {
			got = append(got, p.IPBlock.CIDR)
		}
		if want := []string{"192.168.5.10/31", "192.168.5.12/32"}; !slices.Equal(got, want) {
			t.Errorf("ipBlocks %v, want %v", got, want)
		}
		g = generate(t, genWorld(), GenerateOptions{IPv4Prefix: 24}, flows...)
		if got := npNamed(t, g, "prod/db").Spec.Egress[0].To; len(got) != 1 || got[0].IPBlock.CIDR != "192.168.5.0/24" {
			t.Errorf("widened: %s", asYAML(t, got))
		}
	})
	t.Run("DNS egress once per namespace, not again per workload", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{Namespaces: []string{"prod"}}, gflow(t, "prod/api", "kube-system/coredns:53/udp", true), gflow(t, "prod/api", "prod/db:3306", true))
		dns := npNamed(t, g, "prod/allow-dns")
		if len(dns.Spec.PodSelector.MatchLabels) != 0 || len(dns.Spec.Egress) != 1 {
			t.Errorf("allow-dns %s", asYAML(t, dns))
		}
		if eg := npNamed(t, g, "prod/api").Spec.Egress; len(eg) != 1 || eg[0].To[0].PodSelector.MatchLabels["app"] != "db" {
			t.Errorf("api's egress %s", asYAML(t, eg))
		}
	})
	t.Run("a flow without a port opens every port", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "prod/api", "prod/db", true))
		if r := npNamed(t, g, "prod/db").Spec.Ingress[0]; r.Ports != nil {
			t.Errorf("ingress %s", asYAML(t, r))
		}
	})
	t.Run("as CiliumNetworkPolicies, with Cilium's namespace key for other namespaces", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{Cilium: true, Namespaces: []string{"prod"}}, gflow(t, "dev/client", "prod/web:8080", true))
		var web *unstructured.Unstructured
		for _, p := range g.Policies {
			if p.Name == "web" {
				web = p.Object.(*unstructured.Unstructured)
			}
		}
		if web == nil || web.GetKind() != "CiliumNetworkPolicy" {
			t.Fatalf("no CiliumNetworkPolicy web: %s", asYAML(t, g.Policies))
		}
		got, _, _ := unstructured.NestedSlice(web.Object, "spec", "ingress")
		want := []any{map[string]any{
			"fromEndpoints": []any{map[string]any{"matchLabels": map[string]any{"app": "client", ciliumNamespaceKey: "dev"}}},
			"toPorts":       []any{map[string]any{"ports": []any{map[string]any{"port": "8080", "protocol": "TCP"}}}},
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ingress (-want +got):\n%s", diff)
		}
		if !g.Proof.Holds {
			t.Errorf("the proof does not hold: %s", asYAML(t, g.Proof))
		}
	})
}

func TestGenerateScope(t *testing.T) {
	t.Run("the namespaces of the required flows' pods by default", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "dev/client", "prod/web:8080", true))
		if !slices.Equal(g.Namespaces, []string{"dev", "prod"}) {
			t.Errorf("scope %v", g.Namespaces)
		}
		if eg := npNamed(t, g, "dev/client").Spec.Egress; len(eg) != 1 {
			t.Errorf("client's egress %s", asYAML(t, eg))
		}
	})
	t.Run("the system namespaces only when named, and then the cluster DNS takes every pod's queries", func(t *testing.T) {
		flows := []GenerateFlow{gflow(t, "prod/api", "kube-system/coredns:53/udp", true), gflow(t, "kube-system/coredns", "10.0.0.2:53/udp", true)}
		g := generate(t, genWorld(), GenerateOptions{}, flows...)
		if !slices.Equal(g.Namespaces, []string{"prod"}) {
			t.Errorf("scope %v", g.Namespaces)
		}
		g = generate(t, genWorld(), GenerateOptions{Namespaces: []string{"kube-system"}}, flows...)
		serve := npNamed(t, g, "kube-system/allow-dns-queries")
		if len(serve.Spec.Ingress) != 1 || serve.Spec.Ingress[0].From[0].NamespaceSelector == nil || len(serve.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels) != 0 {
			t.Errorf("allow-dns-queries %s", asYAML(t, serve))
		}
		if ok := can(t, g.proofState(t), "dev/client", "kube-system/coredns:53/udp"); !ok.Allowed {
			t.Errorf("dev's lookups are cut")
		}
		_, err := testSnapshot(t, DefaultOptions(), genWorld()...).Generate(flows[1:], GenerateOptions{DefaultNamespace: "prod"})
		if err == nil || !strings.Contains(err.Error(), "give -n NAMESPACE") {
			t.Errorf("err = %v", err)
		}
	})
	existing := testPolicies(t, "metadata: {name: web, namespace: prod}\nspec: {podSelector: {}}\n")
	t.Run("existing policies are kept, the generated ones under names of their own", func(t *testing.T) {
		g := generate(t, append(genWorld(), existing...), GenerateOptions{}, gflow(t, "prod/api", "prod/web:8080", true))
		npNamed(t, g, "prod/web-generated")
		if len(g.Removes) != 0 {
			t.Errorf("removes %v", g.Removes)
		}
	})
	t.Run("Replace proposes them instead of the namespace's policies", func(t *testing.T) {
		g := generate(t, append(genWorld(), existing...), GenerateOptions{Replace: true}, gflow(t, "prod/api", "prod/web:8080", true))
		npNamed(t, g, "prod/web")
		if want := []ObjectRef{{Kind: "NetworkPolicy", Namespace: "prod", Name: "web"}}; !slices.Equal(g.Overwrites, want) || len(g.Removes) != 0 {
			t.Errorf("overwrites %v, want %v; removes %v, want none", g.Overwrites, want, g.Removes)
		}
	})
}

func TestGenerateProof(t *testing.T) {
	t.Run("required flows allowed, deny flows denied, by the engine", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "prod/web", "prod/api:5000", true), gflow(t, "prod/web", "prod/db:3306", false))
		if !g.Proof.Holds || g.Proof.Required[0].Verdict != "ALLOWED" || g.Proof.Denied[0].Verdict != "DENIED" {
			t.Errorf("proof %s", asYAML(t, g.Proof))
		}
	})
	t.Run("a deny flow a required one implies does not hold", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "prod/web", "prod/api:5000", true), gflow(t, "prod/web", "prod/api:5000", false))
		if g.Proof.Holds || g.Proof.Denied[0].Holds {
			t.Errorf("proof %s", asYAML(t, g.Proof))
		}
	})
	t.Run("what the rules also allow, by rule: a widened prefix", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{IPv4Prefix: 24}, gflow(t, "prod/db", "192.168.5.10:80", true))
		var extra []string
		for _, o := range g.Proof.AlsoAllowed {
			for _, f := range o.Flows {
				extra = append(extra, f.Source+" -> "+f.Destination+" "+f.Ports.String()+" by "+strings.Join(o.AllowedBy, ";"))
			}
		}
		want := "deployment prod/db -> 192.168.5.0/24 TCP 80 by egress allowed by prod/db spec.egress[0].to[0] + ports[0]"
		if !slices.Contains(extra, want) {
			t.Errorf("also allowed %q, want %q among them", extra, want)
		}
	})
	t.Run("what they deny that is allowed now", func(t *testing.T) {
		g := generate(t, genWorld(), GenerateOptions{}, gflow(t, "prod/web", "prod/api:5000", true))
		found := false
		for _, c := range g.Proof.NewlyDenied {
			found = found || (c.Source == "deployment prod/api" && c.Destination == "deployment prod/web")
		}
		if !found {
			t.Errorf("newly denied %s", asYAML(t, g.Proof.NewlyDenied))
		}
	})
}

func TestMergePrefixes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.1/32", "10.0.0.1/32"},
		{"10.0.0.0/32 10.0.0.1/32", "10.0.0.0/31"},
		{"10.0.0.1/32 10.0.0.2/32", "10.0.0.1/32 10.0.0.2/32"},
		{"10.0.0.0/32 10.0.0.1/32 10.0.0.2/32 10.0.0.3/32", "10.0.0.0/30"},
		{"10.0.0.0/24 10.0.0.7/32", "10.0.0.0/24"},
		{"10.0.0.1/32 10.0.0.1/32", "10.0.0.1/32"},
		{"2001:db8::/128 2001:db8::1/128 10.0.0.0/32", "10.0.0.0/32 2001:db8::/127"},
	} {
		var in []netip.Prefix
		for _, s := range strings.Fields(tc.in) {
			in = append(in, netip.MustParsePrefix(s))
		}
		var got []string
		for _, p := range mergePrefixes(in) {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("mergePrefixes(%s) = %v, want %s", tc.in, got, tc.want)
		}
	}
}

// proofState is the state the proof judges: the generator's snapshot
// with the generated policies, the replaced ones removed.
func (g *Generated) proofState(t *testing.T) *Snapshot {
	t.Helper()
	if g.state == nil {
		t.Fatal("no proof state")
	}
	return g.state
}
