package query

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// SchemaVersion is the version of the JSON/YAML answer schema; it changes
// only when a field changes meaning or goes away.
const SchemaVersion = "netpol.kubectl.io/v1"

// AskedPort is the port of a question after named-port and service
// translation.
type AskedPort struct {
	Port     int32           `json:"port"`
	Protocol corev1.Protocol `json:"protocol"`
	// Via explains a translation (named port, service port → targetPort).
	Via string `json:"via,omitempty"`
}

// PairVerdict is the verdict for one or more source pods to one or more
// destination pods that all got the same answer for the same reasons.
type PairVerdict struct {
	Sources      []string   `json:"sources"`
	Destinations []string   `json:"destinations"`
	Allowed      bool       `json:"allowed"`
	Port         *AskedPort `json:"port,omitempty"`
	// AllowedPorts is every port allowed between the pair (within the
	// asked scope, e.g. a service's target ports).
	AllowedPorts PortSet        `json:"allowedPorts"`
	Egress       DirectionTrace `json:"egress"`
	Ingress      DirectionTrace `json:"ingress"`
	Notes        []string       `json:"notes,omitempty"`
}

// Answer is the answer to "can SRC reach DST[:PORT]".
type Answer struct {
	TypeMeta
	SchemaVersion string `json:"schemaVersion"`
	// Allowed is true when every pair is allowed (on the asked port, or on
	// at least one port when none was asked).
	Allowed     bool      `json:"allowed"`
	Source      *Endpoint `json:"source"`
	Destination *Endpoint `json:"destination"`
	// Port is the asked port as written; empty for all ports.
	Port     string          `json:"port,omitempty"`
	Protocol corev1.Protocol `json:"protocol,omitempty"`
	// AllowedPorts is the ports every pair may use.
	AllowedPorts PortSet       `json:"allowedPorts"`
	Pairs        []PairVerdict `json:"pairs"`
	Warnings     []Warning     `json:"warnings,omitempty"`
	// Assumes says what the verdict takes for granted that the API leaves
	// to the network plugin (policy on host-network pods).
	Assumes []string `json:"assumes,omitempty"`
	// Profile is the network plugin profile the answer was judged under,
	// and why it was chosen.
	Profile *Profile `json:"profile,omitempty"`
	// Decided is false when the verdict depends on something the tool
	// cannot know (DependsOn says what): the plugin's behaviour where the
	// profile leaves it unknown, or policy objects the engine does not
	// evaluate.
	Decided   bool     `json:"decided"`
	DependsOn []string `json:"dependsOn,omitempty"`
	// Hypothetical is set when the network plugin enforces no policy: the
	// verdict is what the policies say, which the cluster does not apply.
	Hypothetical bool `json:"hypothetical,omitempty"`
	// Ambiguities are asked ports that cluster policies of the same tier
	// and priority judge differently: the API lets an implementation
	// apply either, so the verdict is not certain.
	Ambiguities []Ambiguity `json:"ambiguities,omitempty"`
}

// Can answers whether the flow may happen, pod pair by pod pair, with the
// trace of both halves. defaultNS is the namespace of unqualified names.
func (s *Snapshot) Can(f Flow, defaultNS string) (*Answer, error) {
	src, err := s.Resolve(f.Source, defaultNS)
	if err != nil {
		return nil, fmt.Errorf("source %w", err)
	}
	dst, err := s.Resolve(f.Destination, defaultNS)
	if err != nil {
		return nil, fmt.Errorf("destination %w", err)
	}
	if src.Kind == "External" && dst.Kind == "External" {
		return nil, fmt.Errorf("%s and %s are both outside the cluster; NetworkPolicy only judges traffic of pods", src.Input, dst.Input)
	}
	if err := s.nodesNeeded(src, dst); err != nil {
		return nil, err
	}
	ans := &Answer{TypeMeta: Document(KindCanAnswer), SchemaVersion: SchemaVersion, Source: src, Destination: dst, Port: f.Destination.Port, Protocol: f.Destination.Protocol, Allowed: true}
	if _, err := strconv.Atoi(ans.Port); err == nil && ans.Protocol == "" && dst.service == nil {
		ans.Protocol = corev1.ProtocolTCP
	}
	var pairs []PairVerdict
	for i, de := range dst.ends {
		ask, err := dst.askFor(de)
		if err != nil {
			return nil, fmt.Errorf("destination %w", err)
		}
		for _, se := range src.ends {
			pv := s.evalPair(se, de, ask)
			ans.Allowed = ans.Allowed && pv.Allowed
			if i == 0 && len(pairs) == 0 {
				ans.AllowedPorts = pv.AllowedPorts
			} else {
				ans.AllowedPorts = ans.AllowedPorts.Intersect(pv.AllowedPorts)
			}
			pairs = append(pairs, pv)
			ans.Ambiguities = appendAmbiguities(ans.Ambiguities, s.pairAmbiguities(se, de, ask)...)
		}
	}
	ans.Pairs = groupPairs(pairs)
	ans.Assumes = assumptions(src, dst)
	ans.Warnings = append(s.warningsFor(src, dst), endpointWarnings(src, dst)...)
	if n := dualStackNote(src, dst); n != "" && len(s.regionPrefixes()) > 0 {
		ans.Warnings = append(ans.Warnings, Warning{Kind: WarnDualStack, Message: n})
	}
	if err := s.settle(ans, func(v *Snapshot) (*Answer, error) { return v.Can(f, defaultNS) }); err != nil {
		return nil, err
	}
	return ans, nil
}

// pairAmbiguities lists the asked ports of a pair that cluster policies of
// equal tier and priority judge differently.
func (s *Snapshot) pairAmbiguities(src, dst flowEnd, ask portAsk) []Ambiguity {
	if len(s.cluster) == 0 || (src.pod != nil && src.pod == dst.pod) {
		return nil
	}
	scope := ask.scope
	if ask.single {
		scope = SinglePort(ask.proto, ask.port)
	}
	var out []Ambiguity
	if src.pod != nil {
		out = append(out, s.ambiguities(Egress, src.pod, dst, dst.pod, scope)...)
	}
	if dst.pod != nil {
		out = append(out, s.ambiguities(Ingress, dst.pod, src, dst.pod, scope)...)
	}
	return out
}

func appendAmbiguities(list []Ambiguity, items ...Ambiguity) []Ambiguity {
	for _, it := range items {
		if !slices.ContainsFunc(list, func(a Ambiguity) bool { return a.String() == it.String() }) {
			list = append(list, it)
		}
	}
	return list
}

// nodesNeeded fails when a verdict depends on Nodes that could not be
// read: a cluster policy names nodes and an end is an address or a
// host-network pod.
func (s *Snapshot) nodesNeeded(eps ...*Endpoint) error {
	err := s.NodesUnknown()
	if err == nil {
		return nil
	}
	for _, ep := range eps {
		if ep.Kind == "External" || slices.ContainsFunc(ep.PodList(), func(p *Pod) bool { return p.HostNetwork }) {
			return fmt.Errorf("%s may be a node's address: %w", ep.Input, err)
		}
	}
	return nil
}

// NodesUnknown is the error of answers over many flows (map, diff, audit,
// explain) when a cluster policy has a nodes peer and Nodes could not be
// read: such answers judge addresses and host-network pods, any of which
// may be a node's, so they would guess. Nil otherwise.
func (s *Snapshot) NodesUnknown() error {
	err := s.readErr("nodes", "")
	if err == nil {
		return nil
	}
	for _, c := range s.cluster {
		for _, r := range c.egress {
			if slices.ContainsFunc(r.peers, func(pe Peer) bool { return pe.kind == peerNodes }) {
				return fmt.Errorf("cluster policy %s selects nodes in its egress rules, but %w", c.key(), err)
			}
		}
	}
	return nil
}

// evalPair judges one source end to one destination end.
func (s *Snapshot) evalPair(src, dst flowEnd, ask portAsk) PairVerdict {
	pv := PairVerdict{Sources: []string{src.String()}, Destinations: []string{dst.String()}}
	if ask.single {
		pv.Port = &AskedPort{Port: ask.port, Protocol: ask.proto, Via: ask.via}
	} else if ask.via != "" {
		pv.Notes = append(pv.Notes, ask.via)
	}
	if src.pod != nil && src.pod == dst.pod {
		self := "a pod may always talk to itself: localhost cannot be blocked; to its own pod IP implementations differ (the upstream conformance tests skip it), answered allowed"
		for _, d := range []Direction{Egress, Ingress} {
			t := DirectionTrace{Direction: d, Pod: src.pod.Key(), Policies: []PolicyRef{}, AllowedPorts: ask.scope, Allowed: true, Summary: "traffic to itself"}
			if d == Egress {
				pv.Egress = t
			} else {
				pv.Ingress = t
			}
		}
		pv.AllowedPorts, pv.Allowed = ask.scope, true
		pv.Notes = append(pv.Notes, self)
		return pv
	}
	if src.pod != nil {
		pv.Egress = s.evalDirection(Egress, src.pod, dst, dst.pod, ask)
	} else {
		pv.Egress = outside(Egress, src)
	}
	if dst.pod != nil {
		pv.Ingress = s.evalDirection(Ingress, dst.pod, src, dst.pod, ask)
	} else {
		pv.Ingress = outside(Ingress, dst)
	}
	for _, t := range []*DirectionTrace{&pv.Egress, &pv.Ingress} {
		pv.Notes = appendNew(pv.Notes, t.Notes...)
		t.Notes = nil
	}
	pv.AllowedPorts = pv.Egress.AllowedPorts.Intersect(pv.Ingress.AllowedPorts).Intersect(ask.scope)
	pv.Allowed = !pv.AllowedPorts.IsEmpty()
	return pv
}

// hostNetworkAssumption is what a verdict about a host-network pod
// assumes: most network plugins do not apply NetworkPolicy to such pods
// (they share the node's network namespace), so a denial holds only where
// the plugin does.
const hostNetworkAssumption = "assumes NetworkPolicy applies to host-network pods; most network plugins let their traffic through"

// assumptions lists what the answer's verdict takes for granted.
func assumptions(eps ...*Endpoint) []string {
	for _, ep := range eps {
		if slices.ContainsFunc(ep.PodList(), func(p *Pod) bool { return p.HostNetwork }) {
			return []string{hostNetworkAssumption}
		}
	}
	return nil
}

// outside is the trace of a half whose end is outside the cluster, where no
// NetworkPolicy applies.
func outside(d Direction, end flowEnd) DirectionTrace {
	side := "source"
	if d == Ingress {
		side = "destination"
	}
	return DirectionTrace{Direction: d, Policies: []PolicyRef{}, AllowedPorts: AllPorts(), Allowed: true,
		Summary: fmt.Sprintf("the %s %s is outside the cluster: no %s policy applies to it", side, end, d)}
}

// groupPairs merges pairs with the same verdict and the same reasons:
// first destinations per source, then sources with equal destination lists.
func groupPairs(pairs []PairVerdict) []PairVerdict {
	type group struct {
		pv  PairVerdict
		key string
	}
	keyOf := func(pv PairVerdict) string {
		pv.Sources, pv.Destinations = nil, nil
		pv.Egress.Pod, pv.Ingress.Pod = "", ""
		pv.Notes = nil
		if pv.Port != nil {
			p := *pv.Port
			p.Via = ""
			pv.Port = &p
		}
		b, _ := json.Marshal(pv)
		return string(b)
	}
	var bySrc []group
	index := map[string]int{}
	for _, pv := range pairs {
		k := pv.Sources[0] + "\x00" + keyOf(pv)
		if i, ok := index[k]; ok {
			g := &bySrc[i].pv
			g.Destinations = append(g.Destinations, pv.Destinations...)
			g.Notes = appendNew(g.Notes, pv.Notes...)
			if g.Port != nil && pv.Port != nil && g.Port.Via != pv.Port.Via {
				g.Port.Via = joinNew(g.Port.Via, pv.Port.Via)
			}
			continue
		}
		index[k] = len(bySrc)
		bySrc = append(bySrc, group{pv: pv, key: keyOf(pv)})
	}
	var out []group
	index = map[string]int{}
	for _, g := range bySrc {
		k := strings.Join(g.pv.Destinations, ",") + "\x00" + g.key
		if i, ok := index[k]; ok {
			out[i].pv.Sources = append(out[i].pv.Sources, g.pv.Sources...)
			out[i].pv.Notes = appendNew(out[i].pv.Notes, g.pv.Notes...)
			continue
		}
		index[k] = len(out)
		out = append(out, g)
	}
	res := make([]PairVerdict, len(out))
	for i, g := range out {
		res[i] = g.pv
		if len(g.pv.Sources) > 1 {
			res[i].Egress.Pod = ""
		}
		if len(g.pv.Destinations) > 1 {
			res[i].Ingress.Pod = ""
		}
	}
	return res
}

// appendNew appends the items list does not hold yet.
func appendNew[T comparable](list []T, items ...T) []T {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

func joinNew(a, b string) string {
	if strings.Contains(a, b) {
		return a
	}
	return a + "; " + b
}

// dualStackNote says, once per answer, that pods with several IPs were
// judged on their primary IP by ipBlock rules.
func dualStackNote(eps ...*Endpoint) string {
	var pods []string
	for _, ep := range eps {
		for _, p := range ep.PodList() {
			if len(p.IPs) > 1 {
				pods = append(pods, fmt.Sprintf("%s (%s)", p.Key(), p.IPs[0]))
			}
		}
	}
	if len(pods) == 0 {
		return ""
	}
	more := ""
	if len(pods) > 3 {
		more = fmt.Sprintf(" and %d more", len(pods)-3)
		pods = pods[:3]
	}
	return fmt.Sprintf("pods with several IPs (dual-stack) were judged by ipBlock rules on their primary IP: %s%s; traffic over their other address family may be treated differently", strings.Join(pods, ", "), more)
}
