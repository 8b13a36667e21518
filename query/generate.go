package query

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Generation: the least-privilege policies that admit the flows a team
// needs. Generate plans, per namespace in scope, a default deny, DNS
// egress, and per workload the rules its required flows need
// (generate.go); writes them as NetworkPolicies or CiliumNetworkPolicies
// (generate_write.go, generate_cilium.go); and proves them with the
// engine (generate_proof.go).

// GenerateFlow is one flow of the request: one the generated policies
// must allow (Allow), or one that must stay denied.
type GenerateFlow struct {
	Name string `json:"name,omitempty"`
	// Where says where the flow was asked, "FILE:LINE".
	Where string `json:"where"`
	From  string `json:"from"`
	To    string `json:"to"`
	Allow bool   `json:"allow"`
	Flow  Flow   `json:"-"`
}

// label names the flow in comments and reports: its name, else
// "FROM -> TO".
func (f *GenerateFlow) label() string {
	if f.Name != "" {
		return f.Name
	}
	return f.From + " -> " + f.To
}

// GenerateOptions shape what Generate writes.
type GenerateOptions struct {
	// Namespaces are the namespaces to write policies for; empty: the
	// namespaces of the pods of the required flows, but SystemNamespaces.
	Namespaces []string
	// DefaultNamespace is the namespace of unqualified names.
	DefaultNamespace string
	// Cilium writes CiliumNetworkPolicies instead of NetworkPolicies.
	Cilium bool
	// Replace proposes the generated policies instead of the existing
	// ones of the kind written in the namespaces in scope, rather than
	// beside them.
	Replace bool
	// IPv4Prefix and IPv6Prefix widen each address outside the cluster to
	// the prefix of that length that holds it (0: the address itself).
	IPv4Prefix, IPv6Prefix int
}

// ManagedByLabel marks the objects Generate writes.
const ManagedByLabel = "app.kubernetes.io/managed-by"

// ManagedBy is ManagedByLabel's value.
const ManagedBy = "kubectl-netpol"

// Generated is what Generate proposes: the policies, what they replace,
// and the proof.
type Generated struct {
	TypeMeta
	SchemaVersion string `json:"schemaVersion"`
	// Namespaces are the namespaces in scope.
	Namespaces []string          `json:"namespaces"`
	Policies   []GeneratedPolicy `json:"policies"`
	// Removes are the existing policies the proposal replaces (Replace)
	// that no generated policy overwrites by name: to delete once the
	// generated ones are applied.
	Removes []ObjectRef `json:"removes,omitempty"`
	// Overwrites are the existing policies the proposal replaces (Replace)
	// that a generated policy of the same name overwrites when applied.
	Overwrites []ObjectRef `json:"overwrites,omitempty"`
	Proof      *Proof      `json:"proof"`

	// replaced are all the existing policies the proposal replaces; state
	// is the state the proof judges.
	replaced []ObjectRef
	state    *Snapshot
}

// GeneratedPolicy is one generated object with what explains it: a
// comment for the whole, and one per rule by field path.
type GeneratedPolicy struct {
	Kind      string         `json:"kind"`
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Object    runtime.Object `json:"object"`
	Comment   string         `json:"comment"`
	Rules     []RuleNote     `json:"rules,omitempty"`
	// defaultDeny marks a namespace's default deny, which the proof's
	// over-permission is measured from; a workload may have its name.
	defaultDeny bool
}

// RuleNote explains one generated rule, at Path (spec.ingress[0]).
type RuleNote struct {
	Path string `json:"path"`
	Note string `json:"note"`
}

// genEnd is one end of required flows: the pods of a workload (or a bare
// pod), or an address range outside the cluster.
type genEnd struct {
	ns   string
	unit string // "deployment prod/api", or the address range
	ref  *WorkloadRef
	name string // the workload's or bare pod's name
	pods []*Pod
	// prefix is the range outside the cluster, as asked.
	prefix netip.Prefix
}

func (e *genEnd) external() bool { return e.prefix.IsValid() }

// genPort is one port of a generated rule: a number, or a container
// port's name where the destination declares it.
type genPort struct {
	proto corev1.Protocol
	port  int32
	name  string
}

// genPeer is what one subject needs with one peer in one direction.
type genPeer struct {
	end   *genEnd
	all   bool // every port
	ports []genPort
	flows []string // the labels of the flows that need it
}

// genSubject is a workload (or bare pod) in scope with the peers it needs.
type genSubject struct {
	end             *genEnd
	ingress, egress map[string]*genPeer
}

// genPlan is the plan Generate writes out.
type genPlan struct {
	s        *Snapshot
	opts     GenerateOptions
	inScope  map[string]bool
	ends     map[string]*genEnd
	subjects map[string]*genSubject
	sels     map[string]genSelection
	// required are the required flows resolved, for the proof.
	required []requiredFlow
	dnsPods  []*Pod
}

// requiredFlow is one required flow resolved against the snapshot: its
// ends and the ports each destination needs.
type requiredFlow struct {
	flow     *GenerateFlow
	src, dst *genEnd
	ports    PortSet
}

// Generate writes the policies that admit the required flows of flows
// and proves them: every required flow allowed and every other flow of
// flows denied by the state with the policies, what else they allow, and
// what they deny that is allowed now.
func (s *Snapshot) Generate(flows []GenerateFlow, opts GenerateOptions) (*Generated, error) {
	pl := &genPlan{s: s, opts: opts, ends: map[string]*genEnd{}, subjects: map[string]*genSubject{}, sels: map[string]genSelection{}}
	if err := pl.resolve(flows); err != nil {
		return nil, err
	}
	if len(pl.required) == 0 {
		return nil, fmt.Errorf("no required flow: the input has no allow expectation")
	}
	if err := pl.scope(); err != nil {
		return nil, err
	}
	for _, rf := range pl.required {
		if err := pl.need(rf); err != nil {
			return nil, err
		}
	}
	out := &Generated{TypeMeta: Document(KindGenerated), SchemaVersion: SchemaVersion, Namespaces: slices.Sorted(maps.Keys(pl.inScope)), Policies: []GeneratedPolicy{}}
	if opts.Replace {
		out.Removes = pl.replaced()
	}
	taken := pl.takenNames(out.Removes)
	for _, ns := range out.Namespaces {
		pols, err := pl.write(ns, taken)
		if err != nil {
			return nil, err
		}
		out.Policies = append(out.Policies, pols...)
	}
	out.replaced = out.Removes
	out.Removes, out.Overwrites = splitOverwritten(out.Removes, out.Policies)
	proof, err := s.prove(pl, flows, out)
	if err != nil {
		return nil, err
	}
	out.Proof = proof
	return out, nil
}

// resolve resolves every allow flow's ends against the snapshot, by the
// grammar and rules of "can", and checks the deny flows resolve too.
func (pl *genPlan) resolve(flows []GenerateFlow) error {
	for i := range flows {
		f := &flows[i]
		ans, err := pl.s.Can(f.Flow, pl.opts.DefaultNamespace)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Where, err)
		}
		if !f.Allow {
			continue
		}
		srcs, err := pl.endsOf(ans.Source)
		if err != nil {
			return fmt.Errorf("%s: source: %w", f.Where, err)
		}
		dsts, err := pl.endsOf(ans.Destination)
		if err != nil {
			return fmt.Errorf("%s: destination: %w", f.Where, err)
		}
		ports := map[string]PortSet{}
		for _, pv := range ans.Pairs {
			ps := AllPorts()
			if f.Flow.Destination.Port != "" {
				if pv.Port == nil {
					return fmt.Errorf("%s: port %s: %s", f.Where, f.Flow.Destination.Port, strings.Join(pv.Notes, "; "))
				}
				ps = SinglePort(pv.Port.Protocol, pv.Port.Port)
			}
			for _, d := range pv.Destinations {
				ports[d] = ports[d].Union(ps)
			}
		}
		for _, src := range srcs {
			for _, dst := range dsts {
				if src.external() && dst.external() {
					return fmt.Errorf("%s: neither end is in the cluster: no policy of the cluster judges %s -> %s", f.Where, f.From, f.To)
				}
				need := PortSet{}
				if dst.external() {
					for _, ps := range ports {
						need = need.Union(ps)
					}
				} else {
					for _, p := range dst.pods {
						need = need.Union(ports[p.Key()])
					}
				}
				if f.Flow.Destination.Port == "" {
					need = AllPorts()
				}
				pl.required = append(pl.required, requiredFlow{flow: f, src: src, dst: dst, ports: need})
			}
		}
	}
	return nil
}

// endsOf groups a resolved endpoint's pods by workload: a policy selects
// a workload's pods, the ones that run now and the ones it will run.
func (pl *genPlan) endsOf(ep *Endpoint) ([]*genEnd, error) {
	if ep.Kind == "External" {
		pfx, err := netip.ParsePrefix(ep.Address)
		if err != nil {
			a, err := netip.ParseAddr(ep.Address)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", ep.Address, err)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		key := "address " + pfx.String()
		if e, ok := pl.ends[key]; ok {
			return []*genEnd{e}, nil
		}
		e := &genEnd{unit: pfx.String(), prefix: pfx}
		pl.ends[key] = e
		return []*genEnd{e}, nil
	}
	var out []*genEnd
	for _, p := range ep.PodList() {
		var e *genEnd
		if p.Workload != nil {
			key := "workload " + p.Namespace + "/" + p.Workload.Kind + "/" + p.Workload.Name
			if e = pl.ends[key]; e == nil {
				ref := *p.Workload
				e = &genEnd{ns: p.Namespace, ref: &ref, name: ref.Name, unit: strings.ToLower(ref.Kind) + " " + p.Namespace + "/" + ref.Name, pods: pl.s.podsOf(p.Namespace, ref)}
				pl.ends[key] = e
			}
		} else {
			key := "pod " + p.Key()
			if e = pl.ends[key]; e == nil {
				e = &genEnd{ns: p.Namespace, name: p.Name, unit: "pod " + p.Key(), pods: []*Pod{p}}
				pl.ends[key] = e
			}
		}
		if p.HostNetwork {
			return nil, fmt.Errorf("%s runs in the node's network namespace (hostNetwork): no NetworkPolicy selects it", e.unit)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q stands for no pod", ep.Input)
	}
	return out, nil
}

// SystemNamespaces are the namespaces Kubernetes itself runs in. Generate
// writes policies for them only when asked by name: a default deny there
// cuts the cluster DNS, the API server's webhooks and the node agents,
// whose traffic no application's flows describe.
var SystemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// scope settles the namespaces in scope: those asked, else those of the
// required flows' pods but the system namespaces.
func (pl *genPlan) scope() error {
	pl.inScope = map[string]bool{}
	for _, ns := range pl.opts.Namespaces {
		pl.inScope[ns] = true
	}
	if len(pl.opts.Namespaces) > 0 {
		return nil
	}
	var system []string
	for _, rf := range pl.required {
		for _, e := range []*genEnd{rf.src, rf.dst} {
			switch {
			case e.external():
			case slices.Contains(SystemNamespaces, e.ns):
				system = append(system, e.ns)
			default:
				pl.inScope[e.ns] = true
			}
		}
	}
	if len(pl.inScope) == 0 {
		return fmt.Errorf("the required flows' pods are all in system namespaces (%s), which are in scope only when named: give -n NAMESPACE", strings.Join(slices.Compact(slices.Sorted(slices.Values(system))), ", "))
	}
	return nil
}

// need records what a required flow needs of the subjects in scope: an
// ingress rule at the destination, an egress rule at the source. DNS
// egress that the namespace's DNS policy already allows is not repeated.
func (pl *genPlan) need(rf requiredFlow) error {
	for _, e := range []*genEnd{rf.src, rf.dst} {
		if !e.external() && pl.inScope[e.ns] {
			if _, err := pl.selection(e); err != nil {
				return fmt.Errorf("%s: %w", rf.flow.Where, err)
			}
		}
	}
	add := func(subject, peer *genEnd, ingress bool) {
		sub := pl.subjects[subject.unit]
		if sub == nil {
			sub = &genSubject{end: subject, ingress: map[string]*genPeer{}, egress: map[string]*genPeer{}}
			pl.subjects[subject.unit] = sub
		}
		side := sub.egress
		if ingress {
			side = sub.ingress
		}
		gp := side[peer.unit]
		if gp == nil {
			gp = &genPeer{end: peer}
			side[peer.unit] = gp
		}
		if rf.ports.IsAll() {
			gp.all = true
		} else {
			for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP} {
				for _, r := range rf.ports.Ranges(proto) {
					for port := r.From; port <= r.To; port++ {
						p := genPort{proto: proto, port: port}
						if ingress {
							p.name = portName(pl.selectedPods(subject), proto, port)
						}
						if !slices.Contains(gp.ports, p) {
							gp.ports = append(gp.ports, p)
						}
					}
				}
			}
		}
		if l := rf.flow.label(); !slices.Contains(gp.flows, l) {
			gp.flows = append(gp.flows, l)
		}
	}
	if !rf.dst.external() && pl.inScope[rf.dst.ns] {
		add(rf.dst, rf.src, true)
	}
	if !rf.src.external() && pl.inScope[rf.src.ns] && !pl.dnsCovers(rf) {
		add(rf.src, rf.dst, false)
	}
	return nil
}

// portName is the name every pod of the destination gives the port, or
// "" when one declares none or another: a rule by name then reads as
// the workload describes itself and follows the port if it moves. The
// pods are all those the rule's selector selects, not only the
// workload's: a name resolves at each of them.
func portName(pods []*Pod, proto corev1.Protocol, port int32) string {
	name := ""
	for i, p := range pods {
		n := ""
		for _, cp := range p.Ports {
			if cp.Port == port && cp.Protocol == proto && cp.Name != "" {
				n = cp.Name
			}
		}
		if n == "" || (i > 0 && n != name) {
			return ""
		}
		// A name the pod gives two ports would open both.
		for _, cp := range p.Ports {
			if cp.Name == n && (cp.Port != port || cp.Protocol != proto) {
				return ""
			}
		}
		name = n
	}
	return name
}

// selection returns, and caches, how the policies select an end's pods.
func (pl *genPlan) selection(e *genEnd) (genSelection, error) {
	if sel, ok := pl.sels[e.unit]; ok {
		return sel, nil
	}
	sel, err := pl.s.selectionOf(e, pl.opts.Cilium)
	if err != nil {
		return sel, err
	}
	pl.sels[e.unit] = sel
	return sel, nil
}

// The cluster DNS the generated DNS egress allows: the DNS pods the
// snapshot has, or the standard ones every answer assumes without.
var dnsPorts = []genPort{{proto: corev1.ProtocolUDP, port: 53}, {proto: corev1.ProtocolTCP, port: 53}}

// dnsCovers tells whether the namespace's DNS policy already allows the
// flow: to the cluster DNS pods on port 53.
func (pl *genPlan) dnsCovers(rf requiredFlow) bool {
	if rf.dst.external() || rf.dst.ns != dnsNamespace || rf.ports.IsAll() {
		return false
	}
	sel := labels.SelectorFromSet(dnsLabels)
	for _, p := range rf.dst.pods {
		if !sel.Matches(p.Labels) {
			return false
		}
	}
	dns := SinglePort(corev1.ProtocolUDP, 53).Union(SinglePort(corev1.ProtocolTCP, 53))
	return rf.ports.Subtract(dns).IsEmpty()
}

// replaced lists the existing policies of the kind written in the
// namespaces in scope.
func (pl *genPlan) replaced() []ObjectRef {
	var out []ObjectRef
	for _, ns := range slices.Sorted(maps.Keys(pl.inScope)) {
		for _, p := range pl.s.policies[ns] {
			ref, ok := policyObjectRef(p)
			if !ok || (ref.Kind == "CiliumNetworkPolicy") != pl.opts.Cilium {
				continue
			}
			if !slices.Contains(out, ref) {
				out = append(out, ref)
			}
		}
	}
	slices.SortFunc(out, func(a, b ObjectRef) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// splitOverwritten tells the replaced policies to delete from those whose
// name a generated one takes: applying it overwrites them, and deleting
// them afterwards would delete the generated policy.
func splitOverwritten(replaced []ObjectRef, pols []GeneratedPolicy) (remove, overwrite []ObjectRef) {
	for _, r := range replaced {
		if slices.ContainsFunc(pols, func(p GeneratedPolicy) bool {
			return p.Kind == r.Kind && p.Namespace == r.Namespace && p.Name == r.Name
		}) {
			overwrite = append(overwrite, r)
		} else {
			remove = append(remove, r)
		}
	}
	return remove, overwrite
}

// takenNames are the names of the kind written that existing policies
// keep, by namespace: generated ones take others, so that applying them
// adds rather than overwrites.
func (pl *genPlan) takenNames(removed []ObjectRef) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for ns := range pl.inScope {
		out[ns] = map[string]bool{}
		for _, p := range pl.s.policies[ns] {
			ref, ok := policyObjectRef(p)
			if !ok || (ref.Kind == "CiliumNetworkPolicy") != pl.opts.Cilium || slices.Contains(removed, ref) {
				continue
			}
			out[ns][ref.Name] = true
		}
	}
	return out
}

// freeName is name, or name-generated, name-generated-2... when taken.
func freeName(taken map[string]bool, name string) string {
	n := name
	for i := 1; taken[n]; i++ {
		n = name + "-generated"
		if i > 1 {
			n = fmt.Sprintf("%s-generated-%d", name, i)
		}
	}
	taken[n] = true
	return n
}

// subjectsIn returns the subjects of a namespace in name order.
func (pl *genPlan) subjectsIn(ns string) []*genSubject {
	var out []*genSubject
	for _, sub := range pl.subjects {
		if sub.end.ns == ns {
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b *genSubject) int { return cmp.Compare(a.end.unit, b.end.unit) })
	return out
}

// widened is the range a generated rule names for an address end: the
// address's prefix of the asked length, or the range as asked.
func (pl *genPlan) widened(p netip.Prefix) netip.Prefix {
	bits := pl.opts.IPv4Prefix
	if p.Addr().Is6() {
		bits = pl.opts.IPv6Prefix
	}
	if bits > 0 && bits < p.Bits() {
		q, _ := p.Addr().Prefix(bits)
		return q
	}
	return p.Masked()
}
