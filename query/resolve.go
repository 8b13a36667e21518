package query

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Endpoint is an endpoint resolved against a snapshot: the pods it means, or
// the address outside the cluster.
type Endpoint struct {
	Input string `json:"input"`
	// Kind is Pod, a workload kind, Service, Selector, External, or
	// Address: the several pods that hold one address.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Selector  string `json:"selector,omitempty"`
	Address   string `json:"address,omitempty"`
	// Pods are the pods the endpoint stands for, "namespace/name".
	Pods []string `json:"pods,omitempty"`
	// Notes qualify how the endpoint was understood.
	Notes []string `json:"notes,omitempty"`

	spec    EndpointSpec
	ends    []flowEnd
	service *Service
}

// Resolve turns a parsed endpoint into pods or an external address. Unknown
// and ambiguous names are errors that list the candidates.
func (s *Snapshot) Resolve(e EndpointSpec, defaultNS string) (*Endpoint, error) {
	ns := e.Namespace
	if ns == "" {
		ns = defaultNS
	}
	r := &Endpoint{Input: e.Raw, spec: e}
	switch {
	case e.Addr.IsValid():
		if pods := s.podsByIP[e.Addr]; len(pods) > 0 {
			r.Kind, r.Namespace, r.Name, r.Address = "Pod", pods[0].Namespace, pods[0].Name, e.Addr.String()
			r.setPods(pods)
			for i := range r.ends {
				r.ends[i].addr = e.Addr
			}
			if len(pods) > 1 {
				// Host-network pods of one node, or a stale pod: the
				// address does not say which, so every holder is judged.
				r.Kind, r.Namespace, r.Name = "Address", "", ""
				r.Notes = append(r.Notes, fmt.Sprintf("%s is held by %d pods (%s): each is judged", e.Addr, len(pods), strings.Join(r.Pods, ", ")))
			}
			return r, nil
		}
		r.Kind, r.Address = "External", e.Addr.String()
		r.ends = []flowEnd{{addr: e.Addr}}
		return r, nil
	case e.CIDR.IsValid():
		r.Kind, r.Address = "External", e.CIDR.String()
		r.ends = []flowEnd{{cidr: e.CIDR}}
		for _, p := range s.pods {
			if slices.ContainsFunc(p.IPs, e.CIDR.Contains) {
				r.Notes = append(r.Notes, fmt.Sprintf("%s also holds pod IPs (%s, ...): the answer is for the addresses of the range outside the cluster; ask about pods by name", e.CIDR, p.Key()))
				break
			}
		}
		return r, nil
	case e.Selector != nil:
		r.Kind, r.Namespace, r.Selector = "Selector", ns, e.Selector.String()
		var pods []*Pod
		for _, p := range s.podsByNS[ns] {
			if e.Selector.Matches(p.Labels) {
				pods = append(pods, p)
			}
		}
		if len(pods) == 0 {
			return nil, fmt.Errorf("%q: no pod in namespace %s matches {%s}", e.Raw, ns, e.Selector)
		}
		r.setPods(pods)
		return r, nil
	}
	r.Namespace, r.Name = ns, e.Name
	switch e.Kind {
	case "Pod":
		p := s.podNamed(ns, e.Name)
		if len(p) == 0 {
			return nil, s.unknown(e, ns)
		}
		r.Kind = "Pod"
		r.setPods(p)
		return r, nil
	case "Service":
		return s.resolveService(r, ns, e)
	case "":
		return s.resolveName(r, ns, e)
	default:
		ref := WorkloadRef{Kind: e.Kind, Name: e.Name}
		if !slices.Contains(s.workloads[ns], ref) {
			if err := s.readErr(workloadResource(e.Kind), ns); err != nil {
				return nil, fmt.Errorf("%q: %w", e.Raw, err)
			}
			return nil, s.unknown(e, ns)
		}
		r.Kind = e.Kind
		r.setPods(s.podsOf(ns, ref))
		if len(r.ends) == 0 {
			return nil, fmt.Errorf("%q: %s %s/%s runs no pod", e.Raw, strings.ToLower(e.Kind), ns, e.Name)
		}
		return r, nil
	}
}

// resolveName looks a bare name up as a pod, then a workload, then a
// service.
func (s *Snapshot) resolveName(r *Endpoint, ns string, e EndpointSpec) (*Endpoint, error) {
	if pods := s.podNamed(ns, e.Name); len(pods) == 1 {
		r.Kind = "Pod"
		if w := pods[0].Workload; pods[0].StandIn && w != nil {
			r.Kind = w.Kind
		}
		r.setPods(pods)
		return r, nil
	} else if len(pods) > 1 {
		return nil, ambiguous(e, ns, pods)
	}
	var refs []WorkloadRef
	for _, w := range s.workloads[ns] {
		if w.Name == e.Name {
			refs = append(refs, w)
		}
	}
	switch len(refs) {
	case 0:
		for _, kind := range []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"} {
			if err := s.readErr(workloadResource(kind), ns); err != nil {
				return nil, fmt.Errorf("%q: not a pod, and %w", e.Raw, err)
			}
		}
	case 1:
		r.Kind = refs[0].Kind
		r.setPods(s.podsOf(ns, refs[0]))
		if len(r.ends) == 0 {
			return nil, fmt.Errorf("%q: %s %s/%s runs no pod", e.Raw, strings.ToLower(refs[0].Kind), ns, e.Name)
		}
		return r, nil
	default:
		names := make([]string, len(refs))
		for i, w := range refs {
			names[i] = fmt.Sprintf("%s/%s/%s", ns, strings.ToLower(w.Kind), w.Name)
		}
		return nil, fmt.Errorf("%q is ambiguous in namespace %s: %s", e.Raw, ns, strings.Join(names, ", "))
	}
	return s.resolveService(r, ns, e)
}

func ambiguous(e EndpointSpec, ns string, pods []*Pod) error {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Key()
		if p.StandIn && p.Workload != nil {
			names[i] = fmt.Sprintf("%s/%s/%s", ns, strings.ToLower(p.Workload.Kind), p.Workload.Name)
		}
	}
	return fmt.Errorf("%q is ambiguous in namespace %s: %s", e.Raw, ns, strings.Join(names, ", "))
}

func (s *Snapshot) podNamed(ns, name string) []*Pod {
	var out []*Pod
	for _, p := range s.podsByNS[ns] {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

func (s *Snapshot) resolveService(r *Endpoint, ns string, e EndpointSpec) (*Endpoint, error) {
	if err := s.readErr("services", ns); err != nil {
		return nil, fmt.Errorf("%q: not a pod or workload, and %w", e.Raw, err)
	}
	var svc *Service
	for _, sv := range s.services[ns] {
		if sv.Name == e.Name {
			svc = sv
		}
	}
	if svc == nil {
		return nil, s.unknown(e, ns)
	}
	if len(svc.Selector) == 0 {
		return nil, fmt.Errorf("%q: service %s/%s has no selector, so its backends are not known", e.Raw, ns, svc.Name)
	}
	sel := labels.SelectorFromSet(svc.Selector)
	var pods []*Pod
	for _, p := range s.podsByNS[ns] {
		if sel.Matches(p.Labels) {
			pods = append(pods, p)
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("%q: service %s/%s selects no pod ({%s})", e.Raw, ns, svc.Name, sel)
	}
	r.Kind, r.service = "Service", svc
	r.setPods(pods)
	return r, nil
}

// unknown is the error for a name nothing in the namespace answers to; it
// lists what is there.
func (s *Snapshot) unknown(e EndpointSpec, ns string) error {
	what := "pod, workload or service"
	if e.Kind != "" {
		what = strings.ToLower(e.Kind)
	}
	if _, ok := s.namespaces[ns]; !ok {
		known := "there are none"
		if names := s.namespaceNames(); len(names) > 0 {
			known = "namespaces: " + strings.Join(names, ", ")
		}
		return fmt.Errorf("%q: no %s named %q: namespace %s does not exist (%s)", e.Raw, what, e.Name, ns, known)
	}
	if phase, ok := s.terminated[ns+"/"+e.Name]; ok && (e.Kind == "" || e.Kind == "Pod") {
		return fmt.Errorf("%q: pod %s/%s has terminated (phase %s): it sends and receives nothing", e.Raw, ns, e.Name, phase)
	}
	var cands []string
	for _, w := range s.workloads[ns] {
		cands = append(cands, strings.ToLower(w.Kind)+"/"+w.Name)
	}
	for _, p := range s.podsByNS[ns] {
		if !p.StandIn {
			cands = append(cands, "pod/"+p.Name)
		}
	}
	for _, sv := range s.services[ns] {
		cands = append(cands, "service/"+sv.Name)
	}
	if len(cands) > 12 {
		cands = append(cands[:12], "...")
	}
	if len(cands) == 0 {
		return fmt.Errorf("%q: no %s named %q in namespace %s, which is empty", e.Raw, what, e.Name, ns)
	}
	return fmt.Errorf("%q: no %s named %q in namespace %s (there: %s)", e.Raw, what, e.Name, ns, strings.Join(cands, ", "))
}

func (s *Snapshot) namespaceNames() []string {
	var out []string
	for _, n := range s.Namespaces() {
		out = append(out, n.Name)
	}
	return out
}

// PodList returns the pods the endpoint stands for (none for an address
// outside the cluster).
func (r *Endpoint) PodList() []*Pod {
	var out []*Pod
	for _, end := range r.ends {
		if end.pod != nil {
			out = append(out, end.pod)
		}
	}
	return out
}

func (r *Endpoint) setPods(pods []*Pod) {
	for _, p := range pods {
		r.Pods = append(r.Pods, p.Key())
		r.ends = append(r.ends, podEnd(p))
	}
}

// portAsk is the port part of a question for one destination pod: one port,
// or a scope of ports (everything, or a service's target ports).
type portAsk struct {
	single bool
	proto  corev1.Protocol
	port   int32
	scope  PortSet
	// via explains a translation: a named port or a service port.
	via string
	// brief leaves the misses out of rule traces (diff's reasons).
	brief bool
}

// askFor resolves the destination's port for one destination end.
func (r *Endpoint) askFor(end flowEnd) (portAsk, error) {
	e := r.spec
	proto := e.Protocol
	if r.service != nil {
		return r.serviceAsk(end.pod)
	}
	if e.Port == "" {
		return portAsk{scope: AllPorts()}, nil
	}
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	if n, err := strconv.Atoi(e.Port); err == nil {
		return portAsk{single: true, proto: proto, port: int32(n), scope: SinglePort(proto, int32(n))}, nil
	}
	// A named port resolves against the destination pod's container ports.
	for _, cp := range end.pod.Ports {
		if cp.Name == e.Port && (e.Protocol == "" || cp.Protocol == e.Protocol) {
			return portAsk{single: true, proto: cp.Protocol, port: cp.Port, scope: SinglePort(cp.Protocol, cp.Port),
				via: fmt.Sprintf("named port %s is %s/%d on %s", e.Port, cp.Protocol, cp.Port, end.pod.Key())}, nil
		}
	}
	return portAsk{}, fmt.Errorf("%q: pod %s declares no container port named %q%s", e.Raw, end.pod.Key(), e.Port, protoNote(e.Protocol))
}

func protoNote(p corev1.Protocol) string {
	if p == "" {
		return ""
	}
	return " with protocol " + string(p)
}

// serviceAsk maps the asked service port (or all of them) to target ports on
// one backing pod.
func (r *Endpoint) serviceAsk(pod *Pod) (portAsk, error) {
	e, svc := r.spec, r.service
	var chosen []corev1.ServicePort
	for _, sp := range svc.Ports {
		proto := sp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		if e.Protocol != "" && proto != e.Protocol {
			continue
		}
		if e.Port == "" || e.Port == sp.Name || e.Port == strconv.Itoa(int(sp.Port)) {
			sp.Protocol = proto
			chosen = append(chosen, sp)
		}
	}
	if len(chosen) == 0 {
		var have []string
		for _, sp := range svc.Ports {
			have = append(have, servicePortString(sp))
		}
		return portAsk{}, fmt.Errorf("%q: service %s/%s has no port %s%s (ports: %s)", e.Raw, svc.Namespace, svc.Name, e.Port, protoNote(e.Protocol), strings.Join(have, ", "))
	}
	ask := portAsk{}
	var vias []string
	for _, sp := range chosen {
		target, ok := targetPort(sp, pod)
		if !ok {
			vias = append(vias, fmt.Sprintf("service %s/%s port %s → targetPort %s: %s declares no such port, so this service port reaches nothing on it", svc.Namespace, svc.Name, servicePortString(sp), sp.TargetPort.String(), pod.Key()))
			continue
		}
		ask.scope = ask.scope.Union(SinglePort(sp.Protocol, target))
		vias = append(vias, fmt.Sprintf("service %s/%s port %s → %s/%d on %s", svc.Namespace, svc.Name, servicePortString(sp), sp.Protocol, target, pod.Key()))
		if e.Port != "" && len(chosen) == 1 {
			ask.single, ask.proto, ask.port = true, sp.Protocol, target
		}
	}
	ask.via = strings.Join(vias, "; ")
	if ask.scope.IsEmpty() {
		return portAsk{}, fmt.Errorf("%q: %s", e.Raw, ask.via)
	}
	return ask, nil
}

func servicePortString(sp corev1.ServicePort) string {
	proto := sp.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	if sp.Name != "" {
		return fmt.Sprintf("%s (%d/%s)", sp.Name, sp.Port, proto)
	}
	return fmt.Sprintf("%d/%s", sp.Port, proto)
}

// targetPort is the pod port a service port sends to: targetPort as a
// number, as a container port name, or the service port when unset.
func targetPort(sp corev1.ServicePort, pod *Pod) (int32, bool) {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, cp := range pod.Ports {
			if namedPortMatches(sp.Protocol, sp.TargetPort.StrVal, cp) {
				return cp.Port, true
			}
		}
		return 0, false
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal, true
	default:
		return sp.Port, true
	}
}
