package gen

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ciliumFiller is one more Cilium policy of a kind real namespaces
// accumulate (filler's for NetworkPolicy).
func (g *generator) ciliumFiller(ns *namespace) *ciliumPolicy {
	var w *workload
	if len(ns.workloads) > 0 {
		w = pick(g, ns.workloads)
	}
	sel := func(fallback metav1.LabelSelector) metav1.LabelSelector {
		if w == nil {
			return fallback
		}
		return g.endpointSel(w)
	}
	prefix := func(name string) string {
		if w == nil {
			return name
		}
		return w.name + "-" + name
	}
	for {
		switch g.weighted(1, 1.5, 1, 1, 1, 1, 1.5, 1, 1, 1, 0.7, 0.7, 1) {
		case 0:
			if ns.cnpNames["allow-same-namespace"] {
				continue
			}
			p := newCNP("allow-same-namespace", metav1.LabelSelector{})
			p.Spec.Ingress = []ciliumPeers{{FromEndpoints: []metav1.LabelSelector{{}}}}
			return p
		case 1: // for a workload renamed or removed: it selects nothing
			old := pick(g, apiNames) + "-v1"
			if g.chance(0.5) {
				old = "legacy-" + pick(g, slices.Concat(apiNames, workerNames))
			}
			p := newCNP(old+"-ingress", *ml(ns.appKey, old))
			p.Spec.Ingress = []ciliumPeers{{FromEndpoints: []metav1.LabelSelector{*ml(compLabel, "frontend")}, ToPorts: toPorts(g.cportNum(string(tcp), 8080))}}
			return p
		case 2: // peers in a namespace that no longer exists
			product := cmpOr(ns.product, "platform")
			p := newCNP(fmt.Sprintf("allow-from-%s-qa", product), sel(*ml(compLabel, "api")))
			p.Spec.Ingress = []ciliumPeers{{FromEndpoints: []metav1.LabelSelector{inNamespace(product+"-qa", compLabel, "api")}}}
			return p
		case 3:
			p := newCNP("allow-api-from-non-dev", *ml(compLabel, "api"))
			p.Spec.Ingress = []ciliumPeers{{
				FromEndpoints: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{
					expr(ciliumNSLabels+"env", metav1.LabelSelectorOpNotIn, "dev"), expr(ciliumNSLabels+"team", metav1.LabelSelectorOpExists),
				}}},
				ToPorts: toPorts(g.cportName(string(tcp), "http")),
			}}
			return p
		case 4: // debugging from the VPN on a port range
			p := newCNP(prefix("allow-vpn-debug"), sel(metav1.LabelSelector{}))
			from := []ciliumCIDR{{CIDR: "192.168.100.0/22", Except: []string{"192.168.103.0/24"}}}
			if g.dualStack || g.chance(0.3) {
				from = append(from, ciliumCIDR{CIDR: "fd12:3456:789a::/48", Except: []string{"fd12:3456:789a:ff::/64"}})
			}
			lo := pick(g, []int32{8000, 9000, 5005})
			p.Spec.Ingress = []ciliumPeers{{FromCIDRSet: from, ToPorts: toPorts(ciliumPort{Port: fmt.Sprint(lo), EndPort: lo + 99, Protocol: string(tcp)})}}
			return p
		case 5:
			team := cmpOr(ns.team, "platform")
			p := newCNP("allow-team-"+team, metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				expr(compLabel, metav1.LabelSelectorOpIn, "api", "frontend")}})
			p.Spec.Ingress = []ciliumPeers{{
				FromEndpoints: []metav1.LabelSelector{*ml(ciliumNSLabels+"team", team)},
				ToPorts:       toPorts(g.cportName(string(tcp), "http"), g.cportName(string(tcp), "grpc")),
			}}
			return p
		case 6: // a workload that isolates its own egress: DNS and HTTPS out
			p := newCNP(prefix("allow-internet"), sel(metav1.LabelSelector{}))
			world := ciliumPeers{ToEntities: []string{"world"}}
			if g.chance(0.5) {
				world = ciliumPeers{ToCIDRSet: []ciliumCIDR{{CIDR: "0.0.0.0/0", Except: []string{metadataAddress}}}}
				if g.dualStack {
					world.ToCIDRSet = append(world.ToCIDRSet, ciliumCIDR{CIDR: "::/0", Except: []string{"fc00::/7"}})
				}
			}
			world.ToPorts = toPorts(g.cportNum(string(tcp), 443))
			// Ports alone: to any peer.
			p.Spec.Egress = []ciliumPeers{{ToPorts: toPorts(ciliumPort{Port: "53", Protocol: "UDP"}, ciliumPort{Port: "53", Protocol: "TCP"})}, world}
			return p
		case 7: // a frontend open to all
			var fronts []*workload
			for _, f := range ns.workloads {
				if f.component == "frontend" {
					fronts = append(fronts, f)
				}
			}
			if len(fronts) == 0 {
				continue
			}
			f := pick(g, fronts)
			p := newCNP(f.name+"-allow-all", g.endpointSel(f))
			p.Spec.Ingress = []ciliumPeers{{FromEntities: []string{"all"}}}
			return p
		case 8:
			if w == nil {
				continue
			}
			p := newCNP(w.name+"-allow-metrics", g.endpointSel(w))
			p.Spec.Ingress = []ciliumPeers{{
				FromEndpoints: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{
					expr(ciliumNSKey, metav1.LabelSelectorOpIn, "monitoring", "observability")}}},
				ToPorts: toPorts(g.cportName(string(tcp), "metrics")),
			}}
			return p
		case 9:
			if w == nil || len(w.served) == 0 {
				continue
			}
			p := newCNP(w.name+"-allow-stable-clients", g.endpointSel(w))
			p.Spec.Ingress = []ciliumPeers{{
				FromEndpoints: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{
					expr("canary", metav1.LabelSelectorOpDoesNotExist)}}},
				ToPorts: toPorts(g.cservedPorts(w)...),
			}}
			return p
		case 10: // ping from the cluster: icmps and toPorts go in rules of their own
			p := newCNP(prefix("allow-ping"), sel(metav1.LabelSelector{}))
			p.Spec.Ingress = []ciliumPeers{{FromEntities: []string{"cluster"}, ICMPs: []ciliumICMP{{Fields: []ciliumICMPField{{Type: 8, Family: "IPv4"}}}}}}
			if g.dualStack {
				p.Spec.Ingress[0].ICMPs[0].Fields = append(p.Spec.Ingress[0].ICMPs[0].Fields, ciliumICMPField{Type: 128, Family: "IPv6"})
			}
			return p
		case 11: // everything in the cluster, nothing outside
			p := newCNP(prefix("allow-cluster-egress"), sel(metav1.LabelSelector{}))
			p.Spec.Egress = []ciliumPeers{{ToEntities: []string{"cluster"}}}
			return p
		default:
			return g.guardRail(ns)
		}
	}
}

// ciliumSystemQueue is the Cilium policies of the platform namespaces
// (systemQueue's).
func (g *generator) ciliumSystemQueue(ns *namespace) []cnpBuilder {
	denyIngress := func() *ciliumPolicy {
		p := newCNP("default-deny-ingress", metav1.LabelSelector{})
		p.Spec.Ingress = []ciliumPeers{{}}
		return p
	}
	switch ns.name {
	case "ingress-nginx":
		return []cnpBuilder{
			denyIngress,
			func() *ciliumPolicy {
				p := newCNP("allow-http-https", *ml(nameLabel, "ingress-nginx", compLabel, "controller"))
				ports := toPorts(g.cportName(string(tcp), "http"), g.cportName(string(tcp), "https"))
				p.Spec.Ingress = []ciliumPeers{{FromEntities: []string{"world"}, ToPorts: ports}, {FromEntities: []string{"cluster"}, ToPorts: ports}}
				return p
			},
			func() *ciliumPolicy {
				p := newCNP("allow-admission-webhook", *ml(nameLabel, "ingress-nginx"))
				p.Spec.Ingress = []ciliumPeers{{FromCIDR: []string{"10.0.0.0/16"}, ToPorts: toPorts(g.cportNum(string(tcp), 8443))}}
				return p
			},
		}
	case "monitoring":
		return []cnpBuilder{
			denyIngress,
			func() *ciliumPolicy {
				p := newCNP("otel-agent-from-all-namespaces", *ml(nameLabel, "otel-agent"))
				p.Spec.Ingress = []ciliumPeers{{
					FromEndpoints: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{expr(ciliumNSKey, metav1.LabelSelectorOpExists)}}},
					ToPorts:       toPorts(ciliumPort{Port: "4317", EndPort: 4318, Protocol: string(tcp)}),
				}}
				return p
			},
			func() *ciliumPolicy {
				p := newCNP("grafana-from-ingress-nginx", *ml(nameLabel, "grafana"))
				p.Spec.Ingress = []ciliumPeers{{
					FromEndpoints: []metav1.LabelSelector{inNamespace("ingress-nginx", nameLabel, "ingress-nginx")},
					ToPorts:       toPorts(g.cportName(string(tcp), "grafana")),
				}}
				return p
			},
			func() *ciliumPolicy {
				p := newCNP("prometheus-from-grafana", *ml(nameLabel, "prometheus"))
				p.Spec.Ingress = []ciliumPeers{{FromEndpoints: []metav1.LabelSelector{*ml(nameLabel, "grafana")}, ToPorts: toPorts(g.cportNum(string(tcp), 9090))}}
				return p
			},
			func() *ciliumPolicy {
				p := newCNP("alertmanager", *ml(nameLabel, "alertmanager"))
				p.Spec.Ingress = []ciliumPeers{
					{FromEndpoints: []metav1.LabelSelector{*ml(nameLabel, "prometheus")}, ToPorts: toPorts(g.cportName(string(tcp), "web"))},
					{FromEndpoints: []metav1.LabelSelector{*ml(nameLabel, "alertmanager")},
						ToPorts: toPorts(ciliumPort{Port: "9094", Protocol: "TCP"}, ciliumPort{Port: "9094", Protocol: "UDP"})},
				}
				return p
			},
		}
	}
	return nil
}
