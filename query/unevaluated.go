package query

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Policies of a network plugin's own API (Calico, Cilium, Antrea,
// OVN-Kubernetes, Multus) take part in what the dataplane does, but the
// engine does not evaluate them: it reads them only to know which pods
// they may apply to, so that a verdict that depends on them is not given
// as if they did not exist.

// PluginKind is a policy kind of a network plugin's own API that the
// engine reads but does not evaluate.
type PluginKind struct {
	Kind string
	// Resource is the plural resource name, as API paths and RBAC rules
	// name it.
	Resource string
	// Plugin is the network plugin (or project) whose API it is.
	Plugin     string
	Namespaced bool
	// GroupVersions serve the kind, preferred first: a live read lists the
	// kind at the first one the server serves. Calico serves the same
	// objects as projectcalico.org/v3 (through its API server) and as the
	// crd.projectcalico.org/v1 CRDs it stores them in.
	GroupVersions []schema.GroupVersion

	// Evaluated is set for the kinds the engine evaluates (Cilium's,
	// cilium.go); the others it reads only to know which pods they may
	// apply to. ShortNames are kubectl's for the kind.
	Evaluated  bool
	ShortNames []string

	// display names the kind in messages: the plugin is said where the
	// kind's name alone is Kubernetes' own or does not say it.
	display string
	// compile says which pods an object may apply to.
	compile func(u *unstructured.Unstructured, k *PluginKind) selection
}

func gvs(s ...string) []schema.GroupVersion {
	out := make([]schema.GroupVersion, len(s))
	for i, v := range s {
		out[i], _ = schema.ParseGroupVersion(v)
	}
	return out
}

// PluginKinds are the policy kinds the engine reads without
// evaluating them, each group/version listed once.
var PluginKinds = []*PluginKind{
	{Kind: "NetworkPolicy", Resource: "networkpolicies", Plugin: "Calico", Namespaced: true,
		GroupVersions: gvs("projectcalico.org/v3", "crd.projectcalico.org/v1"), display: "Calico NetworkPolicy", compile: calicoSelection},
	{Kind: "GlobalNetworkPolicy", Resource: "globalnetworkpolicies", Plugin: "Calico",
		GroupVersions: gvs("projectcalico.org/v3", "crd.projectcalico.org/v1"), display: "Calico GlobalNetworkPolicy", compile: calicoSelection},
	{Kind: "CiliumNetworkPolicy", Resource: "ciliumnetworkpolicies", Plugin: "Cilium", Namespaced: true,
		GroupVersions: gvs("cilium.io/v2"), display: "CiliumNetworkPolicy", Evaluated: true, ShortNames: []string{"cnp", "ciliumnp"}},
	{Kind: "CiliumClusterwideNetworkPolicy", Resource: "ciliumclusterwidenetworkpolicies", Plugin: "Cilium",
		GroupVersions: gvs("cilium.io/v2"), display: "CiliumClusterwideNetworkPolicy", Evaluated: true, ShortNames: []string{"ccnp"}},
	{Kind: "CiliumCIDRGroup", Resource: "ciliumcidrgroups", Plugin: "Cilium",
		GroupVersions: gvs("cilium.io/v2", "cilium.io/v2alpha1"), display: "CiliumCIDRGroup", Evaluated: true, ShortNames: []string{"ccg"}},
	{Kind: "ClusterNetworkPolicy", Resource: "clusternetworkpolicies", Plugin: "Antrea",
		GroupVersions: gvs("crd.antrea.io/v1beta1", "crd.antrea.io/v1alpha1"), display: "Antrea ClusterNetworkPolicy", compile: antreaSelection},
	{Kind: "NetworkPolicy", Resource: "networkpolicies", Plugin: "Antrea", Namespaced: true,
		GroupVersions: gvs("crd.antrea.io/v1beta1", "crd.antrea.io/v1alpha1"), display: "Antrea NetworkPolicy", compile: antreaSelection},
	{Kind: "EgressFirewall", Resource: "egressfirewalls", Plugin: "OVN-Kubernetes", Namespaced: true,
		GroupVersions: gvs("k8s.ovn.org/v1"), display: "EgressFirewall", compile: namespaceSelection},
	{Kind: "MultiNetworkPolicy", Resource: "multi-networkpolicies", Plugin: "Multus (multi-networkpolicy)", Namespaced: true,
		GroupVersions: gvs("k8s.cni.cncf.io/v1beta1", "k8s.cni.cncf.io/v1beta2"), display: "MultiNetworkPolicy", compile: multiNetworkSelection},
}

// Group is the kind's preferred API group, the one it is named by.
func (k *PluginKind) Group() string { return k.GroupVersions[0].Group }

// String names the kind as Kind.group, as kubectl names a resource of a
// group: "GlobalNetworkPolicy.projectcalico.org".
func (k *PluginKind) String() string { return k.Kind + "." + k.Group() }

// Display names the kind in messages: "Calico NetworkPolicy",
// "CiliumNetworkPolicy".
func (k *PluginKind) Display() string { return k.display }

// displayPlural is Display in the plural: "Calico NetworkPolicies".
func (k *PluginKind) displayPlural() string {
	if s, ok := strings.CutSuffix(k.display, "y"); ok {
		return s + "ies"
	}
	return k.display + "s"
}

// servedBy reports whether the group serves the kind, at any version.
func (k *PluginKind) servedBy(group string) bool {
	return slices.ContainsFunc(k.GroupVersions, func(gv schema.GroupVersion) bool { return gv.Group == group })
}

// LookupPluginKind returns the kind an object of apiVersion and kind
// is, and whether that version serves it; nil when no group of the table
// serves a kind of that name.
func LookupPluginKind(gvk schema.GroupVersionKind) (k *PluginKind, versionServed bool) {
	for _, u := range PluginKinds {
		if u.Kind != gvk.Kind || !u.servedBy(gvk.Group) {
			continue
		}
		return u, slices.Contains(u.GroupVersions, gvk.GroupVersion())
	}
	return nil, false
}

// PluginKindsNamed returns the kinds a name given by a user means:
// the kind (any case), its plural resource name or singular, optionally
// followed by "." and its group ("GlobalNetworkPolicy.projectcalico.org",
// "ciliumnetworkpolicies"). A group matches the kind's groups, with or
// without Calico's and Antrea's "crd." prefix. A name without group that
// Kubernetes' own evaluated kinds share (NetworkPolicy,
// ClusterNetworkPolicy) is an error asking for the group: ignoring "the
// NetworkPolicies" must not read as ignoring the ones that are evaluated.
func PluginKindsNamed(name string) ([]*PluginKind, error) {
	kindName, group, _ := strings.Cut(strings.TrimSpace(name), ".")
	kindName = strings.ToLower(kindName)
	var out []*PluginKind
	for _, k := range PluginKinds {
		if kindName != strings.ToLower(k.Kind) && kindName != k.Resource && !slices.Contains(k.ShortNames, kindName) {
			continue
		}
		if group != "" && !k.servedBy(group) && !k.servedBy("crd."+group) {
			continue
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		var names []string
		for _, k := range PluginKinds {
			if !slices.Contains(names, k.String()) {
				names = append(names, k.String())
			}
		}
		return nil, fmt.Errorf("%q is not a network plugin's policy kind kubectl netpol reads (one of %s)", name, strings.Join(names, ", "))
	}
	if group == "" && (kindName == "networkpolicy" || kindName == "networkpolicies" || kindName == "clusternetworkpolicy" || kindName == "clusternetworkpolicies") {
		var names []string
		for _, k := range out {
			names = append(names, k.String())
		}
		return nil, fmt.Errorf("%q is also a Kubernetes kind, which is evaluated: name the group, e.g. %s", name, strings.Join(names, " or "))
	}
	return out, nil
}

// IgnorableKindsNamed is PluginKindsNamed for --ignore-kind: only kinds
// that are not evaluated can be judged without; an evaluated one is an
// error pointing at --without.
func IgnorableKindsNamed(name string) ([]*PluginKind, error) {
	ks, err := PluginKindsNamed(name)
	if err != nil && strings.Contains(err.Error(), "is not a network plugin's policy kind") {
		var names []string
		for _, k := range PluginKinds {
			if !k.Evaluated && !slices.Contains(names, k.String()) {
				names = append(names, k.String())
			}
		}
		return nil, fmt.Errorf("%q is not a policy kind kubectl netpol reads without evaluating (one of %s)", name, strings.Join(names, ", "))
	}
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.Evaluated {
			return nil, fmt.Errorf("%q is evaluated, not only read: to judge without some of its objects, use --without (e.g. cnp/NAMESPACE/NAME, ccnp/NAME)", name)
		}
	}
	return ks, nil
}

// Unevaluated is a policy object of a network plugin's own API: not
// evaluated, but known to apply to some pods, so that verdicts about them
// are not given as if it did not exist.
type Unevaluated struct {
	Kind  string
	Group string
	// Namespace is empty for cluster-scoped kinds.
	Namespace string
	Name      string

	kind      *PluginKind
	selection selection
}

// NewUnevaluated reads an object of one of PluginKinds: its kind,
// name and which pods it may apply to. Its spec is read only as far as
// that needs, leniently: a part that cannot be read widens the pods it
// may apply to (to its namespace, or every pod), never narrows them.
func NewUnevaluated(u *unstructured.Unstructured) (*Unevaluated, error) {
	k, ref, err := unevaluatedKindRef(u)
	if err != nil {
		return nil, err
	}
	o := &Unevaluated{Kind: k.Kind, Group: u.GroupVersionKind().Group, Namespace: ref.Namespace, Name: ref.Name, kind: k}
	o.selection = k.compile(u, k)
	return o, nil
}

// unevaluatedKindRef checks an object's kind, version and names, and
// returns its kind and reference.
func unevaluatedKindRef(u *unstructured.Unstructured) (*PluginKind, ObjectRef, error) {
	k, served := LookupPluginKind(u.GroupVersionKind())
	if k == nil || !served {
		return nil, ObjectRef{}, fmt.Errorf("%s %s: kind or version not supported", u.GetAPIVersion(), u.GetKind())
	}
	if u.GetName() == "" {
		return nil, ObjectRef{}, fmt.Errorf("%s: metadata.name: required", strings.ToLower(k.Kind))
	}
	ns := u.GetNamespace()
	if !k.Namespaced {
		ns = ""
	} else if ns == "" {
		return nil, ObjectRef{}, fmt.Errorf("%s %s: metadata.namespace: required", strings.ToLower(k.Kind), u.GetName())
	}
	// The kind's preferred group names it whichever group it was read at:
	// Calico serves one object at two.
	return k, ObjectRef{Kind: k.Kind, Group: k.Group(), Namespace: ns, Name: u.GetName()}, nil
}

// unevaluatedRef is the reference of an object of PluginKinds, for
// overlays.
func unevaluatedRef(u *unstructured.Unstructured) (ObjectRef, error) {
	_, ref, err := unevaluatedKindRef(u)
	return ref, err
}

// Type is the kind of the object.
func (o *Unevaluated) Type() *PluginKind { return o.kind }

// String names the object: "CiliumNetworkPolicy prod/deny-db",
// "Calico GlobalNetworkPolicy default-deny".
func (o *Unevaluated) String() string {
	if o.Namespace == "" {
		return o.kind.display + " " + o.Name
	}
	return o.kind.display + " " + o.Namespace + "/" + o.Name
}

// Selects says which pods the object may apply to, and why when it is
// wider than its selector: "pods matching app=db in namespace prod",
// "every pod (spec.selector is Calico's selector language, not read)".
func (o *Unevaluated) Selects() string { return o.selection.what }

// MarshalJSON writes the kind, group, namespace, name and which pods the
// object may apply to (selects).
func (o *Unevaluated) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind      string `json:"kind"`
		Group     string `json:"group"`
		Namespace string `json:"namespace,omitempty"`
		Name      string `json:"name"`
		Selects   string `json:"selects"`
	}{o.Kind, o.Group, o.Namespace, o.Name, o.Selects()})
}

// UnevaluatedList is a list of unevaluated policy objects, sorted by
// kind, namespace and name.
type UnevaluatedList []*Unevaluated

// Summary counts the objects by kind and namespace, for messages:
// "3 CiliumNetworkPolicies in prod", "1 Calico GlobalNetworkPolicy".
func (l UnevaluatedList) Summary() []string {
	type key struct{ display, namespace string }
	counts := map[key]int{}
	var keys []key
	for _, o := range l {
		k := key{o.kind.display, o.Namespace}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.display, b.display), cmp.Compare(a.namespace, b.namespace))
	})
	out := make([]string, len(keys))
	kinds := map[string]*PluginKind{}
	for _, o := range l {
		kinds[o.kind.display] = o.kind
	}
	for i, k := range keys {
		n := counts[k]
		what := kinds[k.display].display
		if n != 1 {
			what = kinds[k.display].displayPlural()
		}
		out[i] = fmt.Sprintf("%d %s", n, what)
		if k.namespace != "" {
			out[i] += " in " + k.namespace
		}
	}
	return out
}

// String is the summary in one line: "3 CiliumNetworkPolicies in prod,
// 1 Calico GlobalNetworkPolicy".
func (l UnevaluatedList) String() string { return strings.Join(l.Summary(), ", ") }

// ignoredKinds resolves Options.IgnoreKinds.
func ignoredKinds(names []string) (map[*PluginKind]bool, error) {
	out := map[*PluginKind]bool{}
	for _, n := range names {
		ks, err := IgnorableKindsNamed(n)
		if err != nil {
			return nil, fmt.Errorf("ignore kind: %w", err)
		}
		for _, k := range ks {
			out[k] = true
		}
	}
	return out, nil
}

// addUnevaluated reads an object of a network plugin's policy kinds into
// the unevaluated list, or the ignored one when its kind is ignored.
func (s *Snapshot) addUnevaluated(u *unstructured.Unstructured) error {
	o, err := NewUnevaluated(u)
	if err != nil {
		return err
	}
	if s.ignoreKinds[o.kind] {
		s.ignored = append(s.ignored, o)
	} else {
		s.unevaluated = append(s.unevaluated, o)
	}
	return nil
}

func sortUnevaluated(l []*Unevaluated) {
	slices.SortFunc(l, func(a, b *Unevaluated) int {
		return cmp.Or(cmp.Compare(a.kind.display, b.kind.display), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}

// Unevaluated returns every policy object the engine does not evaluate
// and was not told to ignore.
func (s *Snapshot) Unevaluated() UnevaluatedList { return s.unevaluated }

// UnevaluatedFor returns the unevaluated policy objects that may apply to
// any of the pods: a verdict about a flow between them depends on these.
func (s *Snapshot) UnevaluatedFor(pods ...*Pod) UnevaluatedList {
	return s.selecting(s.unevaluated, pods)
}

// Ignored returns the unevaluated policy objects of the kinds
// Options.IgnoreKinds names: answers are judged without them, and say so.
func (s *Snapshot) Ignored() UnevaluatedList { return s.ignored }

// IgnoredFor returns the ignored policy objects that may apply to any of
// the pods.
func (s *Snapshot) IgnoredFor(pods ...*Pod) UnevaluatedList {
	return s.selecting(s.ignored, pods)
}

func (s *Snapshot) selecting(l []*Unevaluated, pods []*Pod) UnevaluatedList {
	var out UnevaluatedList
	for _, o := range l {
		if slices.ContainsFunc(pods, func(p *Pod) bool { return p != nil && o.selection.selects(p, s.namespaceLabels(p.Namespace)) }) {
			out = append(out, o)
		}
	}
	return out
}
