package query

import (
	"fmt"
	"maps"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Writing the plan as CiliumNetworkPolicies (cilium.io/v2): the default
// deny as Cilium writes it (a rule of no peer in each direction), DNS
// egress, and per workload endpoint selectors with Cilium's namespace
// key for peers of other namespaces, CIDR peers for addresses outside
// the cluster, and ports by number.

// ciliumNamespaceKey is the label Cilium gives every endpoint's
// namespace; a CiliumNetworkPolicy's peers without it are those of its
// own namespace.
const ciliumNamespaceKey = "k8s:io.kubernetes.pod.namespace"

func (pl *genPlan) writeCilium(ns string, taken map[string]map[string]bool) ([]GeneratedPolicy, error) {
	var out []GeneratedPolicy
	add := func(name string, spec map[string]any, comment string, notes []RuleNote) {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "cilium.io/v2",
			"kind":       "CiliumNetworkPolicy",
			"metadata": map[string]any{
				"name":      freeName(taken[ns], name),
				"namespace": ns,
				"labels":    map[string]any{ManagedByLabel: ManagedBy},
			},
			"spec": spec,
		}}
		out = append(out, GeneratedPolicy{Kind: "CiliumNetworkPolicy", Namespace: ns, Name: u.GetName(), Object: u, Comment: comment, Rules: notes})
	}
	add("default-deny", map[string]any{
		"endpointSelector": map[string]any{},
		"ingress":          []any{map[string]any{}},
		"egress":           []any{map[string]any{}},
	}, fmt.Sprintf("Every pod in %s is isolated for ingress and egress (a rule of no peer allows nothing): only what the policies below allow may flow.", ns), nil)
	out[0].defaultDeny = true

	_, dnsNote := pl.dnsPeer()
	dnsSel := map[string]any{ciliumNamespaceKey: dnsNamespace}
	for k, v := range dnsLabels {
		dnsSel[k] = v
	}
	add("allow-dns", map[string]any{
		"endpointSelector": map[string]any{},
		"egress": []any{map[string]any{
			"toEndpoints": []any{map[string]any{"matchLabels": dnsSel}},
			"toPorts":     ciliumToPorts(dnsPorts, false),
		}},
	}, "Egress is restricted, so every pod may still resolve names: "+dnsNote, []RuleNote{{Path: "spec.egress[0]", Note: "to the cluster DNS on UDP and TCP 53"}})
	if ns == dnsNamespace && len(pl.s.dnsPods()) > 0 {
		add("allow-dns-queries", map[string]any{
			"endpointSelector": map[string]any{"matchLabels": anyMap(dnsLabels)},
			"ingress": []any{map[string]any{
				"fromEndpoints": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": ciliumNamespaceKey, "operator": "Exists"}}}},
				"toPorts":       ciliumToPorts(dnsPorts, false),
			}},
		}, dnsServeComment, []RuleNote{{Path: "spec.ingress[0]", Note: "from every pod of every namespace, on UDP and TCP 53"}})
	}

	for _, sub := range pl.subjectsIn(ns) {
		sel := pl.sels[sub.end.unit]
		spec := map[string]any{"endpointSelector": map[string]any{"matchLabels": anyMap(sel.labels)}}
		var notes []RuleNote
		for _, dir := range []struct {
			field, peers, cidrs, word string
			side                      map[string]*genPeer
		}{
			{"ingress", "fromEndpoints", "fromCIDR", "from ", sub.ingress},
			{"egress", "toEndpoints", "toCIDR", "to ", sub.egress},
		} {
			var rules []any
			for _, r := range rulesOf(dir.side) {
				endpoints, cidrs, words, cidrWords, err := pl.cnpPeers(ns, r.peers)
				if err != nil {
					return nil, err
				}
				for _, peer := range []struct {
					field string
					list  []any
				}{{dir.peers, endpoints}, {dir.cidrs, cidrs}} {
					if len(peer.list) == 0 {
						continue
					}
					rule := map[string]any{peer.field: peer.list}
					if ps := ciliumToPorts(r.ports, r.all); ps != nil {
						rule["toPorts"] = ps
					}
					path := fmt.Sprintf("spec.%s[%d]", dir.field, len(rules))
					if peer.field == dir.cidrs {
						notes = append(notes, RuleNote{Path: path, Note: dir.word + cidrWords})
					} else {
						notes = append(notes, peerNotes(path+"."+peer.field, words)...)
					}
					rules = append(rules, rule)
				}
			}
			if len(rules) > 0 {
				spec[dir.field] = rules
			}
		}
		add(sub.end.name, spec, subjectComment(sub, sel), notes)
	}
	return out, nil
}

// cnpPeers writes a rule's peers as endpoint selectors and CIDRs, with
// each in words.
func (pl *genPlan) cnpPeers(ns string, peers []*genPeer) (endpoints, cidrs []any, words []string, cidrWords string, err error) {
	rp, err := pl.rulePeersOf(peers)
	if err != nil {
		return nil, nil, nil, "", err
	}
	for _, pp := range rp.pods {
		ml := anyMap(pp.sel.labels)
		if pp.end.ns != ns {
			ml[ciliumNamespaceKey] = pp.end.ns
		}
		endpoints = append(endpoints, map[string]any{"matchLabels": ml})
		words = append(words, pp.words)
	}
	for _, p := range rp.addrs {
		cidrs = append(cidrs, p.String())
	}
	return endpoints, cidrs, words, rp.addrWords, nil
}

// ciliumToPorts writes ports as one toPorts entry; nil for every port.
func ciliumToPorts(ports []genPort, all bool) []any {
	if all || len(ports) == 0 {
		return nil
	}
	var list []any
	for _, p := range ports {
		list = append(list, map[string]any{"port": strconv.Itoa(int(p.port)), "protocol": string(p.proto)})
	}
	return []any{map[string]any{"ports": list}}
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range maps.All(m) {
		out[k] = v
	}
	return out
}
