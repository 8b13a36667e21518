package main

import "encoding/json"

// Scenario is one cluster and the flows to judge in it (README.md
// documents every field).
type Scenario struct {
	// EnablePolicy is the agent's enable-policy: default, always or never
	// ("" is default).
	EnablePolicy string `json:"enablePolicy,omitempty"`
	// ClusterName is the agent's cluster-name ("" is "default").
	ClusterName string `json:"clusterName,omitempty"`
	// AllowLocalhost is the agent's allow-localhost: auto, always or
	// policy ("" is auto, which the agent turns into always on
	// Kubernetes).
	AllowLocalhost string `json:"allowLocalhost,omitempty"`
	// EnableIPv4 and EnableIPv6 are the agent's address families (nil is
	// true, the agent's defaults). They choose the world label of CIDR
	// identities: reserved:world in single stack, world-ipv4/world-ipv6
	// in dual stack.
	EnableIPv4 *bool `json:"enableIPv4,omitempty"`
	EnableIPv6 *bool `json:"enableIPv6,omitempty"`

	Namespaces []Namespace `json:"namespaces"`
	Pods       []Pod       `json:"pods"`
	Addresses  []Address   `json:"addresses,omitempty"`
	// Policies are raw objects: NetworkPolicy (networking.k8s.io/v1),
	// CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and
	// CiliumCIDRGroup (cilium.io/v2), ClusterNetworkPolicy
	// (policy.networking.k8s.io/v1alpha2).
	Policies []json.RawMessage `json:"policies,omitempty"`
	Flows    []Flow            `json:"flows"`
}

// Namespace is a namespace and its labels, as the API server stores them
// (kubernetes.io/metadata.name included: the oracle adds nothing).
type Namespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Pod is a pod as the agent sees it.
type Pod struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	// ServiceAccount is spec.serviceAccountName; "" is "default", as the
	// ServiceAccount admission plugin sets it.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// HostNetwork pods are no Cilium endpoint: their traffic carries the
	// identity of a node (Node).
	HostNetwork bool `json:"hostNetwork,omitempty"`
	// Node is the pod's node. It matters only for host-network pods: the
	// other end of a flow sees one as reserved:host when both are on the
	// same node, else as reserved:remote-node.
	Node       string      `json:"node,omitempty"`
	NamedPorts []NamedPort `json:"namedPorts,omitempty"`
}

// NamedPort is a named container port.
type NamedPort struct {
	Name string `json:"name"`
	Port int32  `json:"port"`
	// Protocol is TCP, UDP or SCTP ("" is TCP, as for container ports).
	Protocol string `json:"protocol,omitempty"`
}

// Address is an endpoint outside the cluster.
type Address struct {
	Name string `json:"name"`
	// CIDR is the prefix whose CIDR identity the address carries, e.g.
	// "203.0.113.7/32"; a bare IP is taken as its host prefix.
	CIDR string `json:"cidr"`
}

// Flow is the first packet of a connection. From and To name a pod
// ("ns/name"), an address (its name) or a reserved identity
// ("reserved:host", "reserved:remote-node", "reserved:kube-apiserver",
// "reserved:world", "reserved:health", "reserved:ingress").
type Flow struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Protocol string `json:"protocol"`
	Port     uint16 `json:"port"`
}

// Verdicts of one half of a flow.
const (
	Allowed = "allowed"
	Denied  = "denied"
	// Unenforced: that end is no Cilium endpoint (an address, a node, a
	// host-network pod, a reserved identity): no policy of the modelled
	// kinds is enforced there and the half lets the packet through.
	Unenforced = "unenforced"
)

// Result is the oracle's answer to one Scenario.
type Result struct {
	// Identities are the security identities made for the scenario's
	// pods and addresses, in input order.
	Identities []IdentityResult `json:"identities"`
	// Policies say, for each input policy in order, whether Cilium
	// accepted it.
	Policies []PolicyResult `json:"policies"`
	// Flows are the verdicts, in input order.
	Flows []FlowResult `json:"flows"`
}

// IdentityResult is the identity of a pod or address.
type IdentityResult struct {
	// Endpoint is "ns/name" for a pod, the name of an address.
	Endpoint string `json:"endpoint"`
	// ID is the numeric identity; host-network pods have none of their
	// own (0), their Labels say so.
	ID uint32 `json:"id"`
	// Labels are the identity's labels, sorted, "source:key=value".
	Labels []string `json:"labels"`
}

// PolicyResult is what became of one input policy.
type PolicyResult struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// SchemaError is what the CRD's OpenAPI schema (Cilium's generated
	// CRDs, as the API server validates them) says against the object,
	// unknown fields included; CNP and CCNP only.
	SchemaError string `json:"schemaError,omitempty"`
	// Error is the parse or sanitize error of the agent's own path; the
	// agent then ignores the object, and so does the oracle.
	Error string `json:"error,omitempty"`
	// Rules is how many policy entries the object became.
	Rules int `json:"rules"`
}

// FlowResult is the verdict on one flow.
type FlowResult struct {
	Flow
	Egress  string `json:"egress"`
	Ingress string `json:"ingress"`
	// Allowed is true when neither half is denied.
	Allowed bool `json:"allowed"`
	// EgressBy and IngressBy are the labels of the rules that produced
	// the deciding policy map entry ("" for the default deny, or when the
	// half is unenforced).
	EgressBy  string `json:"egressBy,omitempty"`
	IngressBy string `json:"ingressBy,omitempty"`
}
