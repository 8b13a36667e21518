package gen

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// The Cilium policies (Config.CiliumPolicies) are what teams write when
// they use CiliumNetworkPolicy (cilium.io/v2) instead of, or beside,
// NetworkPolicy, for the same calls: per namespace a default deny
// ("ingress: [{}]", "egress: [{}]") or none, DNS egress to kube-dns,
// ingress from the ingress controller and Prometheus, and per workload or
// per tier allow-lists whose endpointSelector is the workload's labels,
// with peers in the namespace, in a named namespace
// (k8s:io.kubernetes.pod.namespace) or in the namespaces a label matches
// (io.cilium.k8s.namespace.labels.KEY), toPorts by number, range or name,
// toCIDR and toCIDRSet with except, toEntities world and cluster, L7 HTTP
// and DNS rules; and the guard rails Cilium's deny rules are for
// (ingressDeny from dev namespaces, egressDeny of SMTP to the world), most
// with enableDefaultDeny false so that they isolate nothing. Each rule has
// one kind of peer, as Cilium's sanitizer requires, and no rule has both
// icmps and toPorts. A cluster with any has the cluster-wide policies of
// ClusterwidePolicies besides.

// ClusterwidePolicies are the names of the CiliumClusterwideNetworkPolicies
// a cluster with Cilium policies has: the cloud metadata address denied to
// every endpoint, DNS to kube-dns and scraping by Prometheus allowed to
// every endpoint, none of them isolating (enableDefaultDeny false).
var ClusterwidePolicies = []string{"deny-cloud-metadata", "allow-kube-dns", "allow-prometheus-scrape"}

// The Cilium label keys the policies use.
const (
	ciliumNSKey     = "k8s:io.kubernetes.pod.namespace"
	ciliumNSLabels  = "io.cilium.k8s.namespace.labels."
	ciliumAPI       = "cilium.io/v2"
	kindCNP         = "CiliumNetworkPolicy"
	kindCCNP        = "CiliumClusterwideNetworkPolicy"
	metadataAddress = "169.254.169.254/32"
)

// ciliumPolicy is a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy
// as written, with the fields the generator uses; the JSON names are
// Cilium's.
type ciliumPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              *ciliumRule  `json:"spec,omitempty"`
	Specs             []ciliumRule `json:"specs,omitempty"`
}

type ciliumRule struct {
	Description       string               `json:"description,omitempty"`
	EndpointSelector  metav1.LabelSelector `json:"endpointSelector"`
	Ingress           []ciliumPeers        `json:"ingress,omitempty"`
	IngressDeny       []ciliumPeers        `json:"ingressDeny,omitempty"`
	Egress            []ciliumPeers        `json:"egress,omitempty"`
	EgressDeny        []ciliumPeers        `json:"egressDeny,omitempty"`
	EnableDefaultDeny *ciliumDefaultDeny   `json:"enableDefaultDeny,omitempty"`
}

type ciliumDefaultDeny struct {
	Ingress *bool `json:"ingress,omitempty"`
	Egress  *bool `json:"egress,omitempty"`
}

// ciliumPeers is one element of ingress, ingressDeny, egress or
// egressDeny.
type ciliumPeers struct {
	FromEndpoints []metav1.LabelSelector `json:"fromEndpoints,omitempty"`
	FromCIDR      []string               `json:"fromCIDR,omitempty"`
	FromCIDRSet   []ciliumCIDR           `json:"fromCIDRSet,omitempty"`
	FromEntities  []string               `json:"fromEntities,omitempty"`
	ToEndpoints   []metav1.LabelSelector `json:"toEndpoints,omitempty"`
	ToCIDR        []string               `json:"toCIDR,omitempty"`
	ToCIDRSet     []ciliumCIDR           `json:"toCIDRSet,omitempty"`
	ToEntities    []string               `json:"toEntities,omitempty"`
	ToPorts       []ciliumPortRule       `json:"toPorts,omitempty"`
	ICMPs         []ciliumICMP           `json:"icmps,omitempty"`
}

type ciliumCIDR struct {
	CIDR   string   `json:"cidr"`
	Except []string `json:"except,omitempty"`
}

type ciliumPortRule struct {
	Ports []ciliumPort `json:"ports"`
	Rules *ciliumL7    `json:"rules,omitempty"`
}

type ciliumPort struct {
	Port     string `json:"port"`
	EndPort  int32  `json:"endPort,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

type ciliumL7 struct {
	HTTP []ciliumHTTP `json:"http,omitempty"`
	DNS  []ciliumDNS  `json:"dns,omitempty"`
}

type ciliumHTTP struct {
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
}

type ciliumDNS struct {
	MatchPattern string `json:"matchPattern"`
}

type ciliumICMP struct {
	Fields []ciliumICMPField `json:"fields"`
}

type ciliumICMPField struct {
	Type   int32  `json:"type"`
	Family string `json:"family,omitempty"`
}

// cnpBuilder makes one CiliumNetworkPolicy (name and spec) when called.
type cnpBuilder func() *ciliumPolicy

// makeCiliumPolicies shares cfg.CiliumPolicies among the namespaces that
// use CiliumNetworkPolicy as makePolicies does for NetworkPolicy: an
// application namespace's posture for Cilium is drawn afresh, open more
// often where NetworkPolicies already are (most teams use one kind, some
// both), the platform namespaces keep theirs; an open namespace may still have one guard rail
// that isolates nothing. Then the cluster-wide policies.
func (g *generator) makeCiliumPolicies() {
	for _, ns := range g.namespaces {
		ns.ciliumPosture = ns.posture
		if !ns.system {
			openP := map[string]float64{"prod": 0.04, "staging": 0.1, "dev": 0.25}[ns.env]
			if len(ns.policies) > 0 {
				openP = 1.5 // mostly left to its NetworkPolicies
			}
			ns.ciliumPosture = []posture{open, denyIngress, zeroTrust}[g.weighted(openP, 0.55, 0.4)]
		}
	}
	queues := map[*namespace][]cnpBuilder{}
	for _, ns := range g.namespaces {
		var q []cnpBuilder
		switch {
		case ns.system && ns.ciliumPosture != open:
			q = g.ciliumSystemQueue(ns)
		case !ns.system:
			q = g.ciliumAppQueue(ns)
		}
		if len(q) > 0 {
			queues[ns] = q
		}
	}
	parts, quotas := share(g, g.cfg.CiliumPolicies, queues, func(ns *namespace) *posture { return &ns.ciliumPosture })
	for i, ns := range parts {
		q := queues[ns]
		for k := range quotas[i] {
			var p *ciliumPolicy
			if k < len(q) {
				p = q[k]()
			} else {
				p = g.ciliumFiller(ns)
			}
			g.addCNP(ns, p)
		}
	}
	for _, p := range g.clusterwide() {
		p.TypeMeta = metav1.TypeMeta{APIVersion: ciliumAPI, Kind: kindCCNP}
		p.UID = types.UID(g.uid())
		p.Generation = 1
		p.CreationTimestamp = metav1.NewTime(g.epoch.Add(time.Duration(g.rng.IntN(30*24*60)) * time.Minute))
		g.ccnps = append(g.ccnps, toUnstructured(p))
	}
}

func (g *generator) addCNP(ns *namespace, p *ciliumPolicy) {
	base := p.Name
	for k := 2; ns.cnpNames[p.Name]; k++ {
		p.Name = fmt.Sprintf("%s-%d", base, k)
	}
	ns.cnpNames[p.Name] = true
	p.TypeMeta = metav1.TypeMeta{APIVersion: ciliumAPI, Kind: kindCNP}
	p.Namespace = ns.name
	p.UID = types.UID(g.uid())
	p.Generation = 1
	p.CreationTimestamp = metav1.NewTime(ns.created.Add(time.Duration(g.rng.IntN(60*24*60)) * time.Minute))
	ns.cnps = append(ns.cnps, toUnstructured(p))
}

// toUnstructured is the policy as the engine reads Cilium's objects.
func toUnstructured(p *ciliumPolicy) *unstructured.Unstructured {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
	if err != nil {
		panic(fmt.Sprintf("gen: %s %s: %v", p.Kind, p.Name, err))
	}
	return &unstructured.Unstructured{Object: m}
}

// clusterwide is the platform team's cluster-wide policies
// (ClusterwidePolicies).
func (g *generator) clusterwide() []*ciliumPolicy {
	metadata := newCNP(ClusterwidePolicies[0], metav1.LabelSelector{})
	metadata.Spec.Description = "No workload may reach the cloud metadata service."
	metadata.Spec.EgressDeny = []ciliumPeers{{ToCIDR: []string{metadataAddress}}}
	metadata.Spec.EnableDefaultDeny = noDefaultDeny(false, true)

	dns := newCNP(ClusterwidePolicies[1], metav1.LabelSelector{})
	dns.Spec.Egress = []ciliumPeers{{
		ToEndpoints: []metav1.LabelSelector{*ml(ciliumNSKey, "kube-system", "k8s:k8s-app", "kube-dns")},
		ToPorts: []ciliumPortRule{{
			Ports: []ciliumPort{{Port: "53", Protocol: "UDP"}, {Port: "53", Protocol: "TCP"}},
			Rules: &ciliumL7{DNS: []ciliumDNS{{MatchPattern: "*"}}},
		}},
	}}
	dns.Spec.EnableDefaultDeny = noDefaultDeny(false, true)

	scrape := newCNP(ClusterwidePolicies[2], metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		expr(ciliumNSKey, metav1.LabelSelectorOpNotIn, "kube-system", "kube-public", "kube-node-lease")}})
	scrape.Spec.Ingress = []ciliumPeers{{
		FromEndpoints: []metav1.LabelSelector{*ml(ciliumNSKey, "monitoring", nameLabel, "prometheus")},
		ToPorts:       []ciliumPortRule{{Ports: []ciliumPort{{Port: "metrics", Protocol: "TCP"}}}},
	}}
	scrape.Spec.EnableDefaultDeny = noDefaultDeny(true, false)
	return []*ciliumPolicy{metadata, dns, scrape}
}

// noDefaultDeny is enableDefaultDeny false for the directions given.
func noDefaultDeny(ingress, egress bool) *ciliumDefaultDeny {
	d := &ciliumDefaultDeny{}
	if ingress {
		d.Ingress = ptr.To(false)
	}
	if egress {
		d.Egress = ptr.To(false)
	}
	return d
}

func newCNP(name string, sel metav1.LabelSelector) *ciliumPolicy {
	return &ciliumPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: &ciliumRule{EndpointSelector: sel}}
}

// inNamespace selects endpoints of a namespace by name, and labels.
func inNamespace(ns string, kv ...string) metav1.LabelSelector {
	return *ml(append([]string{ciliumNSKey, ns}, kv...)...)
}

// withNSLabels adds to a selector labels its endpoints' namespace must
// have (keys given without Cilium's prefix).
func withNSLabels(sel metav1.LabelSelector, kv ...string) metav1.LabelSelector {
	m := make(map[string]string, len(sel.MatchLabels)+len(kv)/2)
	for k, v := range sel.MatchLabels {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[ciliumNSLabels+kv[i]] = kv[i+1]
	}
	sel.MatchLabels = m
	return sel
}

// Ports.

// cproto is the protocol of a port, left out (ANY: TCP, UDP and SCTP)
// sometimes for TCP, as hand-written policies do.
func (g *generator) cproto(p string) string {
	if p == string(tcp) && g.chance(0.15) {
		return ""
	}
	return p
}

func (g *generator) cportNum(p string, n int32) ciliumPort {
	return ciliumPort{Port: fmt.Sprint(n), Protocol: g.cproto(p)}
}

func (g *generator) cportName(p string, name string) ciliumPort {
	return ciliumPort{Port: name, Protocol: g.cproto(p)}
}

// cservedPorts are the ports clients of w connect to, by name or number.
func (g *generator) cservedPorts(w *workload) []ciliumPort {
	named := g.chance(0.5)
	var out []ciliumPort
	for _, p := range w.served {
		if named {
			out = append(out, g.cportName(string(p.Protocol), p.Name))
		} else {
			out = append(out, g.cportNum(string(p.Protocol), p.ContainerPort))
		}
	}
	return out
}

func toPorts(ports ...ciliumPort) []ciliumPortRule {
	return []ciliumPortRule{{Ports: ports}}
}

// dnsEgress is an egress rule to kube-dns, sometimes with DNS visibility
// (an L7 DNS rule).
func (g *generator) dnsEgress() ciliumPeers {
	to := inNamespace("kube-system", "k8s-app", "kube-dns")
	if g.chance(0.3) {
		to = inNamespace("kube-system", "k8s:k8s-app", "kube-dns")
	}
	r := ciliumPeers{ToEndpoints: []metav1.LabelSelector{to}, ToPorts: toPorts(ciliumPort{Port: "53", Protocol: "UDP"}, ciliumPort{Port: "53", Protocol: "TCP"})}
	if g.chance(0.25) {
		r.ToPorts = toPorts(ciliumPort{Port: "53", Protocol: "ANY"})
	}
	if g.chance(0.35) {
		r.ToPorts[0].Rules = &ciliumL7{DNS: []ciliumDNS{{MatchPattern: "*"}}}
	}
	return r
}
