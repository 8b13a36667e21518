package ciliumdiff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// The oracle's input and output (.ci/cilium-oracle/README.md), as much of
// them as the comparison uses.
type (
	scenario struct {
		EnablePolicy string            `json:"enablePolicy,omitempty"`
		EnableIPv4   *bool             `json:"enableIPv4,omitempty"`
		EnableIPv6   *bool             `json:"enableIPv6,omitempty"`
		Namespaces   []scNamespace     `json:"namespaces"`
		Pods         []scPod           `json:"pods"`
		Addresses    []scAddress       `json:"addresses,omitempty"`
		Policies     []json.RawMessage `json:"policies,omitempty"`
		Flows        []oracleFlow      `json:"flows"`
	}
	scNamespace struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels,omitempty"`
	}
	scPod struct {
		Namespace      string            `json:"namespace"`
		Name           string            `json:"name"`
		Labels         map[string]string `json:"labels,omitempty"`
		ServiceAccount string            `json:"serviceAccount,omitempty"`
		NamedPorts     []scNamedPort     `json:"namedPorts,omitempty"`
	}
	scNamedPort struct {
		Name     string `json:"name"`
		Port     int32  `json:"port"`
		Protocol string `json:"protocol,omitempty"`
	}
	scAddress struct {
		Name string `json:"name"`
		CIDR string `json:"cidr"`
	}
	oracleFlow struct {
		From     string `json:"from"`
		To       string `json:"to"`
		Protocol string `json:"protocol"`
		Port     uint16 `json:"port"`
	}

	oracleResult struct {
		Identities []struct {
			Endpoint string   `json:"endpoint"`
			ID       uint32   `json:"id"`
			Labels   []string `json:"labels"`
		} `json:"identities"`
		Policies []oraclePolicy  `json:"policies"`
		Flows    []oracleVerdict `json:"flows"`
	}
	oraclePolicy struct {
		Kind        string `json:"kind"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		SchemaError string `json:"schemaError"`
		Error       string `json:"error"`
		Rules       int    `json:"rules"`
	}
	oracleVerdict struct {
		oracleFlow
		Egress    string `json:"egress"`
		Ingress   string `json:"ingress"`
		Allowed   bool   `json:"allowed"`
		EgressBy  string `json:"egressBy"`
		IngressBy string `json:"ingressBy"`
	}
)

// denied is an oracle half verdict read as a boolean: "unenforced" (the
// end is no Cilium endpoint) lets the packet through.
func halfAllowed(v string) bool { return v != "denied" }

// scenarioOf is the cluster as the oracle gets it: after the API
// server's defaulting, pods with their named ports, the external
// addresses as CIDR identities of their host prefix.
func scenarioOf(c Cluster, flows []oracleFlow) (*scenario, error) {
	v4, v6 := !c.IPv6, c.IPv6
	sc := &scenario{EnablePolicy: c.EnablePolicy, EnableIPv4: &v4, EnableIPv6: &v6, Flows: flows}
	for _, ns := range c.Namespaces {
		sc.Namespaces = append(sc.Namespaces, scNamespace{Name: ns.Name, Labels: ns.Labels})
	}
	for _, p := range c.Pods {
		sp := scPod{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, ServiceAccount: p.Spec.ServiceAccountName}
		for _, ctr := range p.Spec.Containers {
			for _, cp := range ctr.Ports {
				if cp.Name != "" {
					sp.NamedPorts = append(sp.NamedPorts, scNamedPort{Name: cp.Name, Port: cp.ContainerPort, Protocol: string(protocolOrTCP(cp.Protocol))})
				}
			}
		}
		sc.Pods = append(sc.Pods, sp)
	}
	for _, a := range c.Externals {
		sc.Addresses = append(sc.Addresses, scAddress{Name: a, CIDR: a})
	}
	for _, np := range c.Policies {
		raw, err := json.Marshal(defaultedPolicy(np))
		if err != nil {
			return nil, err
		}
		sc.Policies = append(sc.Policies, raw)
	}
	for _, u := range c.Cilium {
		raw, err := json.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		sc.Policies = append(sc.Policies, raw)
	}
	return sc, nil
}

func protocolOrTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// defaultedPolicy is the NetworkPolicy as the API server stores it:
// policyTypes Ingress, plus Egress when there are egress rules; protocols
// TCP where missing.
func defaultedPolicy(np *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	out := np.DeepCopy()
	if len(out.Spec.PolicyTypes) == 0 {
		out.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(out.Spec.Egress) > 0 {
			out.Spec.PolicyTypes = append(out.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	tcp := corev1.ProtocolTCP
	for i := range out.Spec.Ingress {
		for j := range out.Spec.Ingress[i].Ports {
			if out.Spec.Ingress[i].Ports[j].Protocol == nil {
				out.Spec.Ingress[i].Ports[j].Protocol = &tcp
			}
		}
	}
	for i := range out.Spec.Egress {
		for j := range out.Spec.Egress[i].Ports {
			if out.Spec.Egress[i].Ports[j].Protocol == nil {
				out.Spec.Egress[i].Ports[j].Protocol = &tcp
			}
		}
	}
	return out
}

// oracle is a running cilium-oracle: scenarios go in one by one, each
// answered with one line.
type oracle struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
}

func startOracle(path string) (*oracle, error) {
	cmd := exec.Command(path)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	o := &oracle{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20), stderr: &bytes.Buffer{}}
	cmd.Stderr = o.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return o, nil
}

// ask sends one scenario and reads its result.
func (o *oracle) ask(sc *scenario) (*oracleResult, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	raw, err := json.Marshal(sc)
	if err != nil {
		return nil, err
	}
	if _, err := o.in.Write(append(raw, '\n')); err != nil {
		return nil, o.died(err)
	}
	line, err := o.out.ReadBytes('\n')
	if err != nil {
		return nil, o.died(err)
	}
	var res oracleResult
	if err := json.Unmarshal(line, &res); err != nil {
		return nil, fmt.Errorf("oracle output: %w", err)
	}
	if len(res.Flows) != len(sc.Flows) {
		return nil, fmt.Errorf("oracle answered %d flows of %d", len(res.Flows), len(sc.Flows))
	}
	return &res, nil
}

func (o *oracle) died(err error) error {
	_ = o.cmd.Wait()
	return fmt.Errorf("cilium-oracle: %w: %s", err, strings.TrimSpace(o.stderr.String()))
}

func (o *oracle) close() {
	_ = o.in.Close()
	_ = o.cmd.Wait()
}

// identity is the labels of the identity of the pod or address named.
func (res *oracleResult) identity(name string) []string {
	for _, id := range res.Identities {
		if id.Endpoint == name {
			return id.Labels
		}
	}
	return nil
}

// policyErrors are the oracle's complaints about the scenario's policies:
// any is a generator bug (the generator must produce what the API server
// and Cilium accept).
func (res *oracleResult) policyErrors() []string {
	var out []string
	for _, p := range res.Policies {
		if p.Error != "" || p.SchemaError != "" {
			out = append(out, fmt.Sprintf("%s %s/%s: error %q, schema error %q", p.Kind, p.Namespace, p.Name, p.Error, p.SchemaError))
		}
	}
	return out
}
