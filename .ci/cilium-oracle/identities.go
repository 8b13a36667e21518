package main

import (
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"strings"

	"github.com/cilium/cilium/pkg/identity"
	"github.com/cilium/cilium/pkg/k8s"
	cilium_v2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slim_corev1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/api/core/v1"
	slim_metav1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	k8sUtils "github.com/cilium/cilium/pkg/k8s/utils"
	"github.com/cilium/cilium/pkg/labels"
	"github.com/cilium/cilium/pkg/labelsfilter"
	"github.com/cilium/cilium/pkg/policy/api"
	ciliumTypes "github.com/cilium/cilium/pkg/types"
)

// endpoint is one end a flow can name.
type endpoint struct {
	name string
	// id is the security identity; nil for a host-network pod, whose
	// identity depends on the other end (peerIdentity).
	id *identity.Identity
	// enforced is true for a Cilium endpoint (a pod that is not on the
	// host network): the only ends where policy is enforced here.
	enforced    bool
	hostNetwork bool
	node        string
	// namedPorts are a pod's named container ports.
	namedPorts ciliumTypes.NamedPortMap
}

// identities holds the endpoints of a scenario and their identities.
type identities struct {
	byName map[string]*endpoint
	// all are the identities for the selector cache (reserved ones
	// included); local are those of Cilium endpoints (the subjects).
	all   identity.IdentityMap
	local []*identity.Identity
	// result lists pods and addresses in input order.
	result []IdentityResult
}

// reservedNames are the reserved identities a flow may name.
var reservedNames = []string{
	labels.IDNameHost, labels.IDNameRemoteNode, labels.IDNameKubeAPIServer,
	labels.IDNameWorld, labels.IDNameWorldIPv4, labels.IDNameWorldIPv6,
	labels.IDNameHealth, labels.IDNameIngress,
}

// makeIdentities gives every pod the identity the agent computes for its
// endpoint and every address the CIDR identity the ipcache allocates for
// its prefix. Equal label sets share an identity, as with the allocator.
// groups are the CiliumCIDRGroups whose labels prefixes inherit.
func makeIdentities(logger *slog.Logger, sc *Scenario, groups []*cilium_v2.CiliumCIDRGroup) (*identities, error) {
	ids := &identities{byName: map[string]*endpoint{}, all: identity.ListReservedIdentities()}
	for _, n := range reservedNames {
		id := identity.LookupReservedIdentity(identity.GetReservedID(n))
		if id == nil {
			return nil, fmt.Errorf("BUG: no reserved identity %q", n)
		}
		ids.byName[labels.LabelSourceReserved+":"+n] = &endpoint{name: labels.LabelSourceReserved + ":" + n, id: id}
	}

	nss := map[string]*slim_corev1.Namespace{}
	for _, ns := range sc.Namespaces {
		if ns.Name == "" {
			return nil, fmt.Errorf("namespace without name")
		}
		nss[ns.Name] = &slim_corev1.Namespace{ObjectMeta: slim_metav1.ObjectMeta{Name: ns.Name, Labels: ns.Labels}}
	}

	byLabels := map[string]*identity.Identity{}
	allocate := func(lbls labels.Labels, next func() identity.NumericIdentity) *identity.Identity {
		key := string(lbls.SortedList())
		if id, ok := byLabels[key]; ok {
			return id
		}
		id := identity.NewIdentity(next(), lbls)
		byLabels[key] = id
		ids.all[id.ID] = id.LabelArray
		return id
	}
	nextPod := identity.GetMinimalAllocationIdentity(0)
	podID := func() identity.NumericIdentity { nextPod++; return nextPod - 1 }
	nextCIDR := identity.IdentityScopeLocal + 1
	cidrID := func() identity.NumericIdentity { nextCIDR++; return nextCIDR - 1 }

	for _, p := range sc.Pods {
		name := p.Namespace + "/" + p.Name
		if p.Namespace == "" || p.Name == "" {
			return nil, fmt.Errorf("pod %q: namespace and name are required", name)
		}
		if _, dup := ids.byName[name]; dup {
			return nil, fmt.Errorf("pod %q given twice", name)
		}
		ns, ok := nss[p.Namespace]
		if !ok {
			return nil, fmt.Errorf("pod %q: namespace %q is not among the namespaces", name, p.Namespace)
		}
		if p.HostNetwork {
			ids.byName[name] = &endpoint{name: name, hostNetwork: true, node: p.Node}
			ids.result = append(ids.result, IdentityResult{Endpoint: name, Labels: []string{"(host network: reserved:host on its own node, else reserved:remote-node)"}})
			continue
		}
		namedPorts, lbls := podMetadata(logger, ns, &p)
		id := allocate(lbls, podID)
		if !containsID(ids.local, id) {
			ids.local = append(ids.local, id)
		}
		ids.byName[name] = &endpoint{name: name, id: id, enforced: true, node: p.Node, namedPorts: namedPorts}
		ids.result = append(ids.result, IdentityResult{Endpoint: name, ID: id.ID.Uint32(), Labels: labelStrings(id.LabelArray)})
	}

	for _, a := range sc.Addresses {
		if a.Name == "" || strings.Contains(a.Name, "/") || strings.HasPrefix(a.Name, labels.LabelSourceReserved+":") {
			return nil, fmt.Errorf("address %q: a name must be given, without '/' or a reserved: prefix", a.Name)
		}
		if _, dup := ids.byName[a.Name]; dup {
			return nil, fmt.Errorf("address %q given twice", a.Name)
		}
		prefix, err := parsePrefix(a.CIDR)
		if err != nil {
			return nil, fmt.Errorf("address %q: %w", a.Name, err)
		}
		id := allocate(prefixLabels(prefix, groups), cidrID)
		ids.byName[a.Name] = &endpoint{name: a.Name, id: id}
		ids.result = append(ids.result, IdentityResult{Endpoint: a.Name, ID: id.ID.Uint32(), Labels: labelStrings(id.LabelArray)})
	}
	return ids, nil
}

// podMetadata is what the agent's endpoint metadata fetcher makes of a
// pod (pkg/endpoint/metadata FetchK8sMetadataForEndpoint): its named
// ports, and its identity labels: the pod's labels sanitized and joined
// with its namespace's, service account and cluster
// (k8s.GetPodMetadata), kept by the identity-relevant label filter, plus
// the named-ports label of a new endpoint.
func podMetadata(logger *slog.Logger, ns *slim_corev1.Namespace, p *Pod) (ciliumTypes.NamedPortMap, labels.Labels) {
	sa := p.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	pod := &slim_corev1.Pod{
		ObjectMeta: slim_metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, Labels: maps.Clone(p.Labels)},
		Spec:       slim_corev1.PodSpec{ServiceAccountName: sa},
	}
	var ctr slim_corev1.Container
	for _, np := range p.NamedPorts {
		ctr.Ports = append(ctr.Ports, slim_corev1.ContainerPort{Name: np.Name, ContainerPort: np.Port, Protocol: slim_corev1.Protocol(np.Protocol)})
	}
	pod.Spec.Containers = []slim_corev1.Container{ctr}

	namedPorts, lbls := k8s.GetPodMetadata(logger, ns, pod)
	identityLabels, _ := labelsfilter.Filter(labels.Map2Labels(lbls, labels.LabelSourceK8s))
	for _, l := range k8s.NamedPortsIdentityLabels(namedPorts) {
		identityLabels[l.Key] = l
	}
	return namedPorts, identityLabels
}

// prefixLabels are the labels of the CIDR identity the ipcache allocates
// for prefix: its cidr: label and world label (labels.GetCIDRLabels),
// merged with the labels of the CIDR groups whose CIDRs contain it, as
// the ipcache's mergeLabels pulls parent prefixes' labels down
// (pkg/ipcache/metadata.go).
func prefixLabels(prefix netip.Prefix, groups []*cilium_v2.CiliumCIDRGroup) labels.Labels {
	lbls := labels.GetCIDRLabels(prefix)
	for _, g := range groups {
		for _, c := range g.Spec.ExternalCIDRs {
			gp, err := netip.ParsePrefix(string(c))
			if err != nil || gp.Bits() > prefix.Bits() || !gp.Contains(prefix.Addr()) {
				continue
			}
			for k, v := range cidrGroupLabels(g) {
				if _, ok := lbls[k]; !ok {
					lbls[k] = v
				}
			}
		}
	}
	return lbls
}

// cidrGroupLabels are the labels the policy watcher gives the prefixes
// of a CIDR group (cidrsAndLabelsForCIDRGroup in
// pkg/policy/k8s/cilium_cidr_group.go): the group's own labels, each
// also encoded with its value, and the group-name label cidrGroupRef
// selects.
func cidrGroupLabels(g *cilium_v2.CiliumCIDRGroup) labels.Labels {
	filtered := k8sUtils.RemoveCiliumLabels(g.Labels)
	lbls := make(labels.Labels, len(filtered)*2+1)
	for k, v := range filtered {
		l := labels.NewLabel(k, v, labels.LabelSourceCIDRGroup)
		lbls[l.Key] = l
		encoded := labels.EncodedCIDRGroupLabel(l.Key, l.Value, l.Source)
		lbls[encoded.Key] = encoded
	}
	l := api.LabelForCIDRGroupRef(g.Name)
	lbls[l.Key] = l
	return lbls
}

// parsePrefix reads a CIDR or a bare IP (its host prefix), masked.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither a CIDR nor an IP address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func labelStrings(la labels.LabelArray) []string {
	out := make([]string, 0, len(la))
	for i := range la {
		out = append(out, la[i].String())
	}
	return out
}

func containsID(ids []*identity.Identity, id *identity.Identity) bool {
	for _, x := range ids {
		if x.ID == id.ID {
			return true
		}
	}
	return false
}

// peerIdentity is the identity e's packets carry as seen by the other
// end: a host-network pod is reserved:host on its own node and
// reserved:remote-node elsewhere.
func (ids *identities) peerIdentity(e, other *endpoint) *identity.Identity {
	if !e.hostNetwork {
		return e.id
	}
	n := labels.IDNameRemoteNode
	if e.node != "" && e.node == other.node {
		n = labels.IDNameHost
	}
	return ids.byName[labels.LabelSourceReserved+":"+n].id
}
