package query

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kselection "k8s.io/apimachinery/pkg/selection"
)

// Cilium judges traffic by security identities: the set of labels of each
// end, each label with its source (docs/semantics.md, CIL-ID-*):
//
//   - a pod: its labels (source k8s) that Cilium's identity label filter
//     keeps, k8s:io.kubernetes.pod.namespace, k8s:io.cilium.k8s.namespace.
//     labels.KEY for each label of its namespace,
//     k8s:io.cilium.k8s.policy.serviceaccount and ...policy.cluster
//     (pkg/k8s/utils SanitizePodLabels, pkg/labelsfilter);
//   - a host-network pod or a node's address: reserved:host on the
//     subject's own node, reserved:remote-node on another;
//   - an address outside the cluster: reserved:world.
//
// A selector key names a source before a colon ("k8s:app"); a key without
// one is any:, which matches a label of any source (pkg/labels HasKey).

// Cilium's label names.
const (
	ciliumNamespaceName    = "io.kubernetes.pod.namespace"
	ciliumNamespaceLabels  = "io.cilium.k8s.namespace.labels."
	ciliumServiceAccount   = "io.cilium.k8s.policy.serviceaccount"
	ciliumClusterLabel     = "io.cilium.k8s.policy.cluster"
	ciliumDefaultCluster   = "default"
	ciliumSourceK8s        = "k8s"
	ciliumSourceAny        = "any"
	ciliumSourceReserved   = "reserved"
	ciliumSourceUnspec     = "unspec"
	ciliumReservedHost     = "host"
	ciliumReservedRemote   = "remote-node"
	ciliumReservedWorld    = "world"
	ciliumReservedAPI      = "kube-apiserver"
	ciliumReservedWorldV4  = "world-ipv4"
	ciliumReservedWorldV6  = "world-ipv6"
	ciliumReservedInit     = "init"
	ciliumReservedNoneName = "none"
)

// ciliumLabel is one label of an identity.
type ciliumLabel struct {
	source, key, value string
}

// ciliumIdentity is the label set of one end of a flow.
type ciliumIdentity []ciliumLabel

// String renders the identity as Cilium lists it: "k8s:app=web, ...".
func (id ciliumIdentity) String() string {
	parts := make([]string, len(id))
	for i, l := range id {
		parts[i] = l.source + ":" + l.key
		if l.value != "" {
			parts[i] += "=" + l.value
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// lookup finds the value of a label by a selector key: source any (or
// unspec) matches every source.
func (id ciliumIdentity) lookup(source, key string) (string, bool) {
	for _, l := range id {
		if l.key == key && (source == ciliumSourceAny || source == ciliumSourceUnspec || source == l.source) {
			return l.value, true
		}
	}
	return "", false
}

// ciliumKeepsPodLabel tells whether a pod label is part of its Cilium
// identity: not one of Cilium's own (io.cilium.k8s...), which it removes,
// and kept by the identity label filter.
func ciliumKeepsPodLabel(key string) bool {
	return !strings.HasPrefix(key, "io.cilium.k8s") && !ciliumIgnoredLabel(key)
}

// identityLabelsOf is a pod's labels as Cilium's identity holds them,
// for NetworkPolicy selectors on Cilium: built once per pod by index.
func (s *Snapshot) identityLabelsOf(p *Pod) labels.Set {
	if l, ok := s.visibleLabels[p]; ok {
		return l
	}
	return visibleLabels(p)
}

// visibleLabels is the pod's labels Cilium's identity keeps.
func visibleLabels(p *Pod) labels.Set {
	var out labels.Set
	for k := range p.Labels {
		if !ciliumKeepsPodLabel(k) {
			if out == nil {
				out = labels.Set{}
				for k2, v2 := range p.Labels {
					if ciliumKeepsPodLabel(k2) {
						out[k2] = v2
					}
				}
			}
			return out
		}
	}
	return p.Labels
}

// ciliumIgnoredLabel tells whether Cilium's default identity label filter
// (pkg/labelsfilter defaultLabelPrefixCfg) leaves a pod label out of the
// identity: an ignore pattern matches the key's start and no longer
// include pattern does.
func ciliumIgnoredLabel(key string) bool {
	if v, ok := ignoredLabels.Load(key); ok {
		return v.(bool)
	}
	v := filterLabel(key)
	ignoredLabels.Store(key, v)
	return v
}

// ignoredLabels caches ciliumIgnoredLabel by key: label keys repeat over
// the pods of a cluster, and the filter is a list of regular expressions.
var ignoredLabels sync.Map

// filterLabel is ciliumIgnoredLabel uncached.
func filterLabel(key string) bool {
	included, ignored := 0, 0
	for _, p := range ciliumLabelFilter {
		loc := p.re.FindStringIndex(key)
		if loc == nil || loc[0] != 0 {
			continue
		}
		if p.ignore {
			if ignored == 0 || loc[1] < ignored {
				ignored = loc[1]
			}
		} else if loc[1] > included {
			included = loc[1]
		}
	}
	return ignored != 0 && included <= ignored
}

type labelPattern struct {
	re     *regexp.Regexp
	ignore bool
}

// ciliumLabelFilter is Cilium v1.20's default list, in its order.
var ciliumLabelFilter = func() []labelPattern {
	var out []labelPattern
	for _, e := range []string{
		regexp.QuoteMeta(ciliumNamespaceName),
		regexp.QuoteMeta(strings.TrimSuffix(ciliumNamespaceLabels, ".")),
		regexp.QuoteMeta("app.kubernetes.io"),
		regexp.QuoteMeta(ciliumClusterLabel),
		regexp.QuoteMeta(ciliumServiceAccount),
		`!io\.kubernetes`,
		`!kubernetes\.io`,
		"!" + regexp.QuoteMeta("statefulset.kubernetes.io/pod-name"),
		"!" + regexp.QuoteMeta("apps.kubernetes.io/pod-index"),
		"!" + regexp.QuoteMeta("batch.kubernetes.io/job-completion-index"),
		"!" + regexp.QuoteMeta("batch.kubernetes.io/controller-uid"),
		`!.*beta\.kubernetes\.io`,
		`!k8s\.io`,
		`!pod-template-generation`,
		`!pod-template-hash`,
		`!controller-revision-hash`,
		`!controller-uid`,
		`!annotation.*`,
		`!etcd_node`,
		`!topology\.kubernetes\.io`,
	} {
		ignore := strings.HasPrefix(e, "!")
		out = append(out, labelPattern{re: regexp.MustCompile(strings.TrimPrefix(e, "!")), ignore: ignore})
	}
	return out
}()

// ciliumPodIdentity is the identity of a pod that is a Cilium endpoint.
func (s *Snapshot) ciliumPodIdentity(p *Pod) ciliumIdentity {
	if id, ok := s.ciliumIDs[p]; ok {
		return id
	}
	return s.newCiliumIdentity(p)
}

// newCiliumIdentity builds a pod's identity; index keeps one per pod of
// the snapshot in ciliumIDs.
func (s *Snapshot) newCiliumIdentity(p *Pod) ciliumIdentity {
	var id ciliumIdentity
	add := func(key, value string) {
		if !ciliumIgnoredLabel(key) {
			id = append(id, ciliumLabel{ciliumSourceK8s, key, value})
		}
	}
	for k, v := range p.Labels {
		if ciliumKeepsPodLabel(k) {
			id = append(id, ciliumLabel{ciliumSourceK8s, k, v})
		}
	}
	if ns := s.namespaces[p.Namespace]; ns != nil {
		for k, v := range ns.Labels {
			add(ciliumNamespaceLabels+k, v)
		}
	}
	add(ciliumNamespaceName, p.Namespace)
	add(ciliumServiceAccount, p.ServiceAccount)
	add(ciliumClusterLabel, ciliumDefaultCluster)
	sort.Slice(id, func(i, j int) bool { return id[i].key < id[j].key })
	return id
}

// ciliumRequirement is one requirement of a Cilium endpoint selector.
type ciliumRequirement struct {
	source, key string
	op          kselection.Operator
	values      []string
}

// matches is the requirement on an identity, as a Kubernetes label
// selector requirement on the identity's labels.
func (r *ciliumRequirement) matches(id ciliumIdentity) bool {
	v, has := id.lookup(r.source, r.key)
	switch r.op {
	case kselection.Exists:
		return has
	case kselection.DoesNotExist:
		return !has
	case kselection.In, kselection.Equals:
		return has && slices.Contains(r.values, v)
	case kselection.NotIn:
		return !has || !slices.Contains(r.values, v)
	}
	return false
}

func (r *ciliumRequirement) String() string {
	k := r.source + ":" + r.key
	switch r.op {
	case kselection.Exists:
		return k
	case kselection.DoesNotExist:
		return "!" + k
	case kselection.Equals:
		return k + "=" + r.values[0]
	case kselection.In:
		return k + " in (" + strings.Join(r.values, ",") + ")"
	}
	return k + " notin (" + strings.Join(r.values, ",") + ")"
}

// ciliumSelector is an endpoint selector after Cilium's sanitizing: every
// key with its source.
type ciliumSelector struct {
	reqs []ciliumRequirement
}

func (cs *ciliumSelector) matches(id ciliumIdentity) bool {
	for i := range cs.reqs {
		if !cs.reqs[i].matches(id) {
			return false
		}
	}
	return true
}

// has tells whether some requirement has the key (with its source).
func (cs *ciliumSelector) has(source, key string) bool {
	return slices.ContainsFunc(cs.reqs, func(r ciliumRequirement) bool { return r.source == source && r.key == key })
}

// hasPrefix tells whether some key of the source starts with prefix.
func (cs *ciliumSelector) hasPrefix(source, prefix string) bool {
	return slices.ContainsFunc(cs.reqs, func(r ciliumRequirement) bool { return r.source == source && strings.HasPrefix(r.key, prefix) })
}

// hasSource tells whether some key has the source.
func (cs *ciliumSelector) hasSource(source string) bool {
	return slices.ContainsFunc(cs.reqs, func(r ciliumRequirement) bool { return r.source == source })
}

// set makes key=value a requirement, replacing one of the same key as
// Cilium's AddMatch does (matchLabels is a map).
func (cs *ciliumSelector) set(source, key, value string) {
	cs.reqs = slices.DeleteFunc(cs.reqs, func(r ciliumRequirement) bool {
		return r.source == source && r.key == key && r.op == kselection.Equals
	})
	cs.reqs = append(cs.reqs, ciliumRequirement{source: source, key: key, op: kselection.Equals, values: []string{value}})
}

func (cs *ciliumSelector) String() string {
	parts := make([]string, len(cs.reqs))
	for i := range cs.reqs {
		parts[i] = cs.reqs[i].String()
	}
	return strings.Join(parts, ",")
}

// ciliumLabelKey splits a selector key into its source and key, as
// Cilium's sanitizer does: "k8s:app" is source k8s, a key without source
// is any.
func ciliumLabelKey(s string) (source, key string) {
	if source, key, ok := strings.Cut(s, ":"); ok {
		return source, key
	}
	return ciliumSourceAny, s
}

// compileCiliumSelector reads a label selector as Cilium does. A key with
// more than one colon, or of a source no identity of the snapshot can
// carry, is an error naming it.
func compileCiliumSelector(ls *metav1.LabelSelector, path string) (ciliumSelector, error) {
	var cs ciliumSelector
	if ls == nil {
		return cs, nil
	}
	keys := make([]string, 0, len(ls.MatchLabels))
	for k := range ls.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	add := func(field, rawKey string, op kselection.Operator, values []string) error {
		if strings.Count(rawKey, ":") > 1 {
			return fmt.Errorf("%s: invalid label selector: key %q: a valid label key only supports ':' as a source separator", field, rawKey)
		}
		source, key := ciliumLabelKey(rawKey)
		if source == "" || key == "" {
			return fmt.Errorf("%s: invalid label selector: key %q", field, rawKey)
		}
		switch source {
		case ciliumSourceK8s, ciliumSourceAny, ciliumSourceUnspec, ciliumSourceReserved:
		case "cidr", "cidrgroup", "fqdn", "node":
			return fmt.Errorf("%s: key %q: selecting by label source %q is not modelled by kubectl netpol (use toCIDR, toCIDRSet or toFQDNs)", field, rawKey, source)
		}
		if source == ciliumSourceUnspec {
			source = ciliumSourceAny
		}
		cs.reqs = append(cs.reqs, ciliumRequirement{source: source, key: key, op: op, values: values})
		return nil
	}
	for _, k := range keys {
		if err := add(path+".matchLabels", k, kselection.Equals, []string{ls.MatchLabels[k]}); err != nil {
			return cs, err
		}
	}
	for i, e := range ls.MatchExpressions {
		field := fmt.Sprintf("%s.matchExpressions[%d]", path, i)
		var op kselection.Operator
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			op = kselection.In
		case metav1.LabelSelectorOpNotIn:
			op = kselection.NotIn
		case metav1.LabelSelectorOpExists:
			op = kselection.Exists
		case metav1.LabelSelectorOpDoesNotExist:
			op = kselection.DoesNotExist
		default:
			return cs, fmt.Errorf("%s.operator: invalid label selector: %q is not In, NotIn, Exists or DoesNotExist", field, e.Operator)
		}
		switch {
		case (op == kselection.In || op == kselection.NotIn) && len(e.Values) == 0:
			return cs, fmt.Errorf("%s.values: invalid label selector: must be specified when operator is %s", field, e.Operator)
		case (op == kselection.Exists || op == kselection.DoesNotExist) && len(e.Values) > 0:
			return cs, fmt.Errorf("%s.values: invalid label selector: may not be specified when operator is %s", field, e.Operator)
		}
		if err := add(field+".key", e.Key, op, slices.Clone(e.Values)); err != nil {
			return cs, err
		}
	}
	return cs, nil
}

// ciliumEnd is what Cilium knows of the other end of a flow, as seen from
// a subject pod's node: a pod's identity, or a reserved identity.
type ciliumEnd struct {
	id ciliumIdentity
	// pod is set for a pod that is a Cilium endpoint.
	pod bool
	// node is set for the host or a remote node (host-network pods, node
	// addresses); nodeUnknown when it cannot be told whether the address
	// is a node's, or which node the subject or peer is on.
	node, nodeUnknown bool
	// world is set for an address outside the cluster.
	world bool
	addr  netip.Addr
}

// ciliumEndOf is the other end as Cilium sees it from the subject's node
// (end.at).
func (s *Snapshot) ciliumEndOf(end flowEnd) ciliumEnd {
	subjectNode := end.at
	reserved := func(names ...string) ciliumIdentity {
		var id ciliumIdentity
		for _, n := range names {
			id = append(id, ciliumLabel{ciliumSourceReserved, n, ""})
		}
		return id
	}
	switch {
	case end.pod != nil && !end.pod.HostNetwork:
		return ciliumEnd{id: s.ciliumPodIdentity(end.pod), pod: true}
	case end.pod != nil:
		e := ciliumEnd{node: true, addr: end.addr}
		switch {
		case end.pod.NodeName == "" || subjectNode == "":
			e.nodeUnknown = true
			e.id = reserved(ciliumReservedRemote)
		case end.pod.NodeName == subjectNode:
			e.id = reserved(ciliumReservedHost)
		default:
			e.id = reserved(ciliumReservedRemote)
		}
		return e
	case end.addr.IsValid() && s.nodeAddrs[end.addr]:
		e := ciliumEnd{node: true, addr: end.addr}
		switch name := s.nodeOfAddr(end.addr); {
		case subjectNode == "":
			e.nodeUnknown = true
			e.id = reserved(ciliumReservedRemote)
		case name == subjectNode:
			e.id = reserved(ciliumReservedHost)
		default:
			e.id = reserved(ciliumReservedRemote)
		}
		return e
	}
	e := ciliumEnd{world: true, addr: end.addr, id: reserved(ciliumReservedWorld)}
	// Without Node objects, an address outside the pods may be a node's.
	e.nodeUnknown = len(s.nodes) == 0
	return e
}

// nodeOfAddr is the name of the node that has the address.
func (s *Snapshot) nodeOfAddr(a netip.Addr) string {
	for _, n := range s.nodes {
		if slices.Contains(n.addrs, a) {
			return n.name
		}
	}
	return ""
}
