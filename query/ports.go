package query

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Port entries of rules, and the one named-port resolver.

// Port is one entry of a rule's ports (or protocols) list, defaulted.
type Port struct {
	path string
	// Protocol is empty for a named port that matches the container
	// port's own protocol (AdminNetworkPolicy v1alpha1).
	protocol corev1.Protocol
	// From and To bound the port range; 0 and 0 mean every port of
	// Protocol. Both are 0 for a named port.
	from, to int32
	// Named is the container port name of a named port entry.
	named string
}

// String renders the entry as written: "TCP 3306", "TCP 8000-8080", "UDP
// all ports", "TCP named port mysql", "named port mysql".
func (p *Port) String() string {
	switch {
	case p.named != "" && p.protocol == "":
		return "named port " + p.named
	case p.named != "":
		return fmt.Sprintf("%s named port %s", p.protocol, p.named)
	case p.from == 0:
		return string(p.protocol) + " all ports"
	case p.from == p.to:
		return fmt.Sprintf("%s %d", p.protocol, p.from)
	default:
		return fmt.Sprintf("%s %d-%d", p.protocol, p.from, p.to)
	}
}

// namedPortMatches is the rule by which a named port entry of protocol
// proto resolves against a container port: the names are equal, and so
// are the protocols unless the entry has none (then the container port's
// own protocol counts). Every path resolves named ports by it: a rule's
// ports (rulePorts.towards is its indexed form), one entry's, a Service's
// targetPort, the traces and audit.
func namedPortMatches(proto corev1.Protocol, name string, cp ContainerPort) bool {
	return cp.Name == name && (proto == "" || proto == cp.Protocol)
}

// namedPortsOf is the set of dst's container ports that a named entry
// resolves to; empty outside the cluster (dst nil).
func namedPortsOf(dst *Pod, proto corev1.Protocol, name string) PortSet {
	var s PortSet
	if dst == nil {
		return s
	}
	for _, cp := range dst.Ports {
		if namedPortMatches(proto, name, cp) {
			s = s.Union(SinglePort(cp.Protocol, cp.Port))
		}
	}
	return s
}

// portsFor is the set of destination ports the entry opens towards dst
// (nil for an address outside the cluster, where named ports match
// nothing).
func (p *Port) portsFor(dst *Pod) PortSet {
	switch {
	case p.named != "":
		return namedPortsOf(dst, p.protocol, p.named)
	case p.from == 0:
		return ProtocolPorts(p.protocol)
	default:
		return PortRangeSet(p.protocol, p.from, p.to)
	}
}

// holds tells whether the entry opens proto/port towards dst, as
// portsFor(dst).Contains would, without building the set.
func (p *Port) holds(dst *Pod, proto corev1.Protocol, port int32) bool {
	switch {
	case p.named != "":
		if dst == nil {
			return false
		}
		for _, cp := range dst.Ports {
			if namedPortMatches(p.protocol, p.named, cp) && cp.Protocol == proto && cp.Port == port {
				return true
			}
		}
		return false
	case p.protocol != proto:
		return false
	case p.from == 0:
		return port >= minPort && port <= maxPort
	default:
		return port >= p.from && port <= p.to
	}
}

// rulePorts is a ports list compiled: the numbered entries and whole
// protocols as one set, and the named entries by protocol and name, looked
// up in the destination's few declared ports.
type rulePorts struct {
	fixed PortSet
	named map[namedPort]bool
}

// namedPort is a named port entry: a name and its protocol ("" for the
// entries that match the container port's own protocol).
type namedPort struct {
	proto corev1.Protocol
	name  string
}

// compilePorts sorts and merges the numbered entries of a ports list once.
func compilePorts(ports []Port) rulePorts {
	var b portsBuilder
	for i := range ports {
		p := &ports[i]
		switch {
		case p.named != "":
			b.addNamed(p.protocol, p.named)
		case p.from == 0:
			b.add(p.protocol, minPort, maxPort)
		default:
			b.add(p.protocol, p.from, p.to)
		}
	}
	return b.build()
}

// towards is the set the compiled list opens towards dst (nil outside the
// cluster, where named ports never match): namedPortMatches over every
// named entry, by lookup of each declared port's two possible keys.
func (rp *rulePorts) towards(dst *Pod) PortSet {
	if len(rp.named) == 0 || dst == nil {
		return rp.fixed
	}
	var rs [3][]PortRange
	for _, cp := range dst.Ports {
		if rp.named[namedPort{cp.Protocol, cp.Name}] || rp.named[namedPort{"", cp.Name}] {
			if i := protoIndex(cp.Protocol); i >= 0 {
				rs[i] = append(rs[i], PortRange{cp.Port, cp.Port})
			}
		}
	}
	return rp.fixed.Union(portSetOf(rs))
}

// portsBuilder collects the entries of a ports list into rulePorts: ranges
// per protocol, merged once in build, and names.
type portsBuilder struct {
	rs    [3][]PortRange
	named map[namedPort]bool
}

// add adds from-to of proto; an unknown protocol or an empty range adds
// nothing.
func (b *portsBuilder) add(proto corev1.Protocol, from, to int32) {
	if i := protoIndex(proto); i >= 0 && from <= to {
		b.rs[i] = append(b.rs[i], PortRange{from, to})
	}
}

// addNamed adds a named port of proto ("" for any protocol).
func (b *portsBuilder) addNamed(proto corev1.Protocol, name string) {
	if b.named == nil {
		b.named = map[namedPort]bool{}
	}
	b.named[namedPort{proto, name}] = true
}

func (b *portsBuilder) build() rulePorts {
	return rulePorts{fixed: portSetOf(b.rs), named: b.named}
}
