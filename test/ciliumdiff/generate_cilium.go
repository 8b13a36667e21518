package ciliumdiff

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Cilium policies are built as JSON-like maps (what the engine gets as
// unstructured objects and the oracle as raw JSON), with every feature the
// comparison models: spec or specs; endpointSelector with matchLabels and
// matchExpressions over pod, namespace and service-account labels, keys
// with and without a k8s: or any: source; the four rule sections; peers by
// endpoints ({} included), CIDRs, CIDR sets with except, entities; toPorts
// with numbers, names, ranges and every protocol, or alone; empty rules;
// enableDefaultDeny. Not generated (not modelled by the comparison):
// toFQDNs, L7 rules, nodeSelector and fromNodes/toNodes, toServices,
// toGroups, ICMP rules, cidrGroupRef, authentication.

// Label keys a Cilium selector may use, by what they select. A key of
// podKeys is written bare (any source), with k8s: or with any:.
const (
	ciliumNamespaceKey = "k8s:io.kubernetes.pod.namespace"
	ciliumNSLabels     = "k8s:io.cilium.k8s.namespace.labels."
	ciliumSAKey        = "k8s:io.cilium.k8s.policy.serviceaccount"
)

// entities the generator uses: those with a meaning for pods and external
// addresses, and some that select neither (host, remote-node,
// kube-apiserver: no flow here carries them).
var entities = []string{"world", "cluster", "all", "none", "host", "remote-node", "kube-apiserver"}

func ciliumName(ccnp bool, i int) string {
	if ccnp {
		return fmt.Sprintf("ccnp-%d", i)
	}
	return fmt.Sprintf("cnp-%d", i)
}

// generateCiliumPolicy makes the i-th Cilium policy of c: a
// CiliumClusterwideNetworkPolicy a third of the time, else a
// CiliumNetworkPolicy in a random namespace.
func generateCiliumPolicy(r *rand.Rand, c *Cluster, i int) *unstructured.Unstructured {
	ccnp := chance(r, 0.35)
	kind, meta := "CiliumNetworkPolicy", map[string]any{"name": ciliumName(ccnp, i)}
	if ccnp {
		kind = "CiliumClusterwideNetworkPolicy"
	} else {
		meta["namespace"] = pick(r, c.Namespaces).Name
	}
	obj := map[string]any{"apiVersion": "cilium.io/v2", "kind": kind, "metadata": meta}
	if chance(r, 0.3) {
		var specs []any
		for j := 0; j < 1+r.Intn(3); j++ {
			specs = append(specs, generateCiliumRule(r, c))
		}
		obj["specs"] = specs
	} else {
		obj["spec"] = generateCiliumRule(r, c)
	}
	return &unstructured.Unstructured{Object: obj}
}

// sections are a Cilium rule's lists of rules.
var sections = []string{"ingress", "egress", "ingressDeny", "egressDeny"}

// generateCiliumRule makes one rule (a spec): an endpoint selector and a
// non-empty set of sections (Cilium rejects a rule without one), each
// with 1-3 rules.
func generateCiliumRule(r *rand.Rand, c *Cluster) map[string]any {
	rule := map[string]any{"endpointSelector": ciliumSelector(r, c, true)}
	for _, s := range some(r, sections) {
		var rs []any
		for j := 0; j < 1+r.Intn(3); j++ {
			rs = append(rs, generatePeerRule(r, c, s))
		}
		rule[s] = rs
	}
	if chance(r, 0.25) {
		dd := map[string]any{}
		for _, d := range some(r, []string{"ingress", "egress"}) {
			dd[d] = chance(r, 0.5)
		}
		rule["enableDefaultDeny"] = dd
	}
	return rule
}

// generatePeerRule makes one rule of a section: at most one kind of peer
// (Cilium rejects two in one rule), with or without toPorts; or toPorts
// alone; or nothing ({}).
func generatePeerRule(r *rand.Rand, c *Cluster, section string) map[string]any {
	from := "from"
	if section == "egress" || section == "egressDeny" {
		from = "to"
	}
	out := map[string]any{}
	withPorts := chance(r, 0.5)
	switch r.Intn(8) {
	case 0: // {}
		withPorts = false
	case 1: // toPorts only
		withPorts = true
	case 2, 3:
		var sels []any
		for j := 0; j < 1+r.Intn(2); j++ {
			sels = append(sels, ciliumSelector(r, c, false))
		}
		out[from+"Endpoints"] = sels
	case 4:
		var cidrs []any
		for _, cc := range some(r, []cidrChoice{pickBlock(r, c), pickBlock(r, c)}) {
			cidrs = append(cidrs, cc.cidr)
		}
		out[from+"CIDR"] = dedupe(cidrs)
	case 5:
		var sets []any
		for j := 0; j < 1+r.Intn(2); j++ {
			cc := pickBlock(r, c)
			set := map[string]any{"cidr": cc.cidr}
			if len(cc.excepts) > 0 && chance(r, 0.6) {
				var ex []any
				for _, e := range some(r, cc.excepts) {
					ex = append(ex, e)
				}
				set["except"] = ex
			}
			sets = append(sets, set)
		}
		out[from+"CIDRSet"] = sets
	default:
		var es []any
		for _, e := range some(r, []string{pick(r, entities), pick(r, entities)}) {
			es = append(es, e)
		}
		out[from+"Entities"] = dedupe(es)
	}
	if withPorts {
		var prs []any
		for j := 0; j < 1+r.Intn(2); j++ {
			prs = append(prs, map[string]any{"ports": ciliumPorts(r)})
		}
		out["toPorts"] = prs
	}
	return out
}

func dedupe(xs []any) []any {
	seen := map[any]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// ciliumProtocols are the values of toPorts' protocol; "" leaves it out
// (ANY).
var ciliumProtocols = []string{"TCP", "UDP", "SCTP", "ANY", ""}

// ciliumPorts makes 1-3 port protocols: a number, a range (endPort), a
// name, or 0 (every port).
func ciliumPorts(r *rand.Rand) []any {
	var out []any
	for j := 0; j < 1+r.Intn(3); j++ {
		p := map[string]any{}
		switch r.Intn(7) {
		case 0, 1, 2:
			p["port"] = strconv.Itoa(int(pick(r, policyPortNumbers)))
		case 3, 4:
			rg := pick(r, policyPortRanges)
			p["port"], p["endPort"] = strconv.Itoa(int(rg[0])), int64(rg[1])
		case 5:
			p["port"] = pick(r, policyPortNames)
		case 6:
			p["port"] = "0"
		}
		if proto := pick(r, ciliumProtocols); proto != "" {
			p["protocol"] = proto
		}
		out = append(out, p)
	}
	return out
}

// encodedKey is a selector key with its label source, as Cilium reads it:
// a key without one has the any: source.
func encodedKey(k string) string {
	if strings.Contains(k, ":") {
		return k
	}
	return "any:" + k
}

// ciliumSelector makes an endpoint selector: {} a fifth of the time, else
// matchLabels and/or matchExpressions over pod labels (bare, k8s: or
// any: keys), the namespace's name and labels, and the service account.
// A subject selector of a CiliumNetworkPolicy may name a namespace too
// (Cilium replaces or ANDs it with the policy's own).
func ciliumSelector(r *rand.Rand, c *Cluster, subject bool) map[string]any {
	sel := map[string]any{}
	if chance(r, 0.2) {
		return sel
	}
	type keyVals struct {
		key    string
		values []string
	}
	var keys []keyVals
	vocab := c.podVocab()
	for _, k := range sortedKeys(vocab) {
		for _, prefix := range []string{"", "k8s:", "any:"} {
			keys = append(keys, keyVals{prefix + k, vocab[k]})
		}
	}
	var nss []string
	for _, ns := range c.Namespaces {
		nss = append(nss, ns.Name)
	}
	nsKeys := []keyVals{{ciliumNamespaceKey, nss}, {ciliumNSLabels + "kubernetes.io/metadata.name", nss}}
	for _, k := range sortedKeys(nsLabelVocab) {
		nsKeys = append(nsKeys, keyVals{ciliumNSLabels + k, nsLabelVocab[k]})
	}
	if !subject || chance(r, 0.2) {
		keys = append(keys, nsKeys...)
	}
	keys = append(keys, keyVals{ciliumSAKey, []string{"default", "robot"}})

	mode := r.Intn(3) // 0 matchLabels, 1 matchExpressions, 2 both
	if mode != 1 {
		// Cilium gives a bare key the any: source, so "app" and "any:app"
		// are one key to it, and which value it keeps depends on map order
		// (api.NewESFromK8sLabelSelector): never both.
		ml := map[string]any{}
		seen := map[string]bool{}
		for j := 0; j < 1+r.Intn(2); j++ {
			kv := pick(r, keys)
			if enc := encodedKey(kv.key); !seen[enc] {
				seen[enc] = true
				ml[kv.key] = pick(r, kv.values)
			}
		}
		sel["matchLabels"] = ml
	}
	if mode != 0 {
		var mes []any
		for j := 0; j < 1+r.Intn(2); j++ {
			kv := pick(r, keys)
			req := generateRequirement(r, kv.key, kv.values)
			me := map[string]any{"key": req.Key, "operator": string(req.Operator)}
			if req.Values != nil {
				var vs []any
				for _, v := range req.Values {
					vs = append(vs, v)
				}
				me["values"] = vs
			}
			mes = append(mes, me)
		}
		sel["matchExpressions"] = mes
	}
	return sel
}
