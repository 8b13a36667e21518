package query

import (
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Observed traffic: connections a dataplane recorded (Hubble flows, or the
// generic flow format), decoded and aggregated by the reader (plugin/flows)
// and judged against a snapshot by replay.go. The engine knows nothing of
// the formats.

// ObservedEnd is one end of an observed connection, as the record says it:
// any of its fields may be empty.
type ObservedEnd struct {
	// Namespace and Pod name the pod, when the record does.
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	// Workload is the pod's workload as the record names it, e.g.
	// "Deployment/web" (kind may be empty).
	Workload string `json:"workload,omitempty"`
	// Labels are the pod's labels the record carries (without Cilium's
	// source prefixes).
	Labels map[string]string `json:"labels,omitempty"`
	IP     netip.Addr        `json:"ip,omitzero"`
	// Reserved is what the dataplane said an end outside the pods is:
	// "world", "host", "remote-node", "kube-apiserver", "health"...
	Reserved string `json:"reserved,omitempty"`
}

// Key is the end as connections are aggregated by: the workload (or pod)
// for a pod, else the address, else the reserved identity.
func (e ObservedEnd) Key() string {
	switch {
	case e.Namespace != "" && e.Workload != "":
		return e.Namespace + "/" + e.Workload
	case e.Namespace != "" && e.Pod != "":
		return e.Namespace + "/" + e.Pod
	case e.IP.IsValid():
		return e.IP.String()
	case e.Reserved != "":
		return "reserved:" + e.Reserved
	}
	return "?"
}

// RecordedVerdict is what the dataplane did with a connection.
type RecordedVerdict string

// The verdicts a record may carry.
const (
	RecordedForwarded RecordedVerdict = "FORWARDED"
	// RecordedDenied is dropped by policy; RecordedDropped dropped for
	// another reason (not a policy verdict).
	RecordedDenied  RecordedVerdict = "DENIED"
	RecordedDropped RecordedVerdict = "DROPPED"
	// RecordedNone: the record says nothing of a verdict (the generic
	// format without one).
	RecordedNone RecordedVerdict = ""
)

// ObservedConnection is one distinct observed connection: its ends, port
// and protocol, how often it was seen with each recorded verdict, and when.
type ObservedConnection struct {
	Src, Dst ObservedEnd
	Protocol corev1.Protocol
	Port     int32
	// Count is how many connection-initiating records were seen, after
	// records seen at both ends are counted once; ByVerdict splits it.
	Count       int
	ByVerdict   map[RecordedVerdict]int
	First, Last time.Time
	// Where is the first record's file and line, for messages.
	Where string
}
