package flows

import (
	"net/netip"
	"strconv"
	"time"
)

// The Hubble format: one JSON object a line, as `hubble observe -o json`
// (or -o jsonpb) and Hubble's flow exporter write it: the protojson form
// of observer.GetFlowsResponse with proto field names
// (cilium/cilium api/v1/observer/observer.proto), or a bare flow.Flow
// (api/v1/flow/flow.proto) a line as older releases printed with -o json.
// The decoder reads the fields below and skips every other, as protojson
// itself accepts them both by proto name and by JSON (lowerCamel) name.

// recKind is what a line of a Hubble file is.
type recKind uint8

const (
	recBlank   recKind = iota // an empty line
	recFlow                   // a flow
	recNonFlow                // a wrapper without a flow: node_status, lost_events...
	recBad                    // not a record the reader can use: why says
)

// l4 is a flow's transport protocol.
type l4 uint8

const (
	l4None l4 = iota
	l4TCP
	l4UDP
	l4SCTP
	l4Other // ICMPv4, ICMPv6, VRRP, IGMP: not judged
)

// verdict is a record's verdict, from the least to the most severe: a
// connection seen several times keeps its most severe one.
type verdict uint8

const (
	vNone verdict = iota
	vForwarded
	vDropped
	vDenied
)

// Cilium's monitor message types (pkg/monitor/api/types.go) that matter.
const (
	eventDrop          = 1
	eventPolicyVerdict = 5
	eventTraceSock     = 7
)

// endpoint is one end of a flow as decoded: slices of the record.
type endpoint struct {
	ns, pod        []byte
	wlKind, wlName []byte // the first of workloads
	labels         []byte // the labels array as written, decoded only for a new connection
	identity       uint32
	reserved       string // from the identity or a reserved: label
	ip             netip.Addr
}

// rec is one decoded line of a Hubble file.
type rec struct {
	line    int
	kind    recKind
	why     string // recBad
	nonFlow string // recNonFlow: the wrapper's kind
	lost    uint64 // lost_events: num_events_lost

	time    int64 // Unix nanoseconds, when hasTime
	hasTime bool

	verdictEnum int32 // flow.Verdict
	dropReason  int32 // flow.DropReason: drop_reason_desc, else drop_reason
	eventType   int32
	eventSub    int32
	hasEvent    bool
	flowType    int32 // flow.FlowType: 3 is SOCK
	sockXlate   bool  // sock_xlate_point set: a socket-LB event
	reply       int8  // is_reply: -1 unknown, 0 false, 1 true
	legacyReply bool  // the deprecated reply: true

	proto        l4
	sport, dport uint32
	syn, ack     bool
	src, dst     endpoint
}

// decodeHubble decodes one non-empty line into r (zeroed by the caller).
func decodeHubble(s *scanner, line []byte, r *rec) {
	s.reset(line)
	r.reply = -1
	r.dropReason = -1
	flowSeen, wrapper := false, ""
	var wrapperTime int64
	hasWrapperTime := false
	if !s.enter('{') {
		r.bad(s.why)
		return
	}
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			break
		}
		if s.null() {
			continue
		}
		switch string(k) {
		case "flow":
			flowSeen = true
			if s.enter('{') {
				for m := 0; s.next('}', &m); {
					fk, ok := s.key()
					if !ok {
						break
					}
					if !s.null() {
						flowField(s, fk, r)
					}
				}
			}
		case "node_status", "nodeStatus":
			wrapper = "node_status"
			s.skip()
		case "lost_events", "lostEvents":
			wrapper = "lost_events"
			lostEvents(s, r)
		case "agent_event", "agentEvent":
			wrapper = "agent_event"
			s.skip()
		case "debug_event", "debugEvent":
			wrapper = "debug_event"
			s.skip()
		case "time":
			// The wrapper's time, or a bare flow's.
			wrapperTime, hasWrapperTime = timestamp(s)
		case "node_name", "nodeName":
			s.skip()
		default:
			// A bare flow's field, or one the reader does not know.
			if flowField(s, k, r) {
				flowSeen = true
			}
		}
	}
	if !s.ok() {
		r.bad(s.why)
		return
	}
	if s.peek() != 0 {
		r.bad("invalid JSON: text after the record at column " + strconv.Itoa(s.i+1))
		return
	}
	switch {
	case flowSeen:
		r.kind = recFlow
		if !r.hasTime && hasWrapperTime {
			r.time, r.hasTime = wrapperTime, true
		}
		r.src.reserved = reservedName(r.src.identity, r.src.reserved)
		r.dst.reserved = reservedName(r.dst.identity, r.dst.reserved)
	case wrapper != "":
		r.kind, r.nonFlow = recNonFlow, wrapper
	default:
		r.kind, r.nonFlow = recNonFlow, "other"
	}
}

func (r *rec) bad(why string) {
	r.kind, r.why = recBad, why
}

// flowField decodes a member of a Flow, skips one it does not use, and
// reports whether the name is a Flow's.
func flowField(s *scanner, k []byte, r *rec) bool {
	switch string(k) {
	case "time":
		r.time, r.hasTime = timestamp(s)
	case "verdict":
		r.verdictEnum = enum(s, verdictNames)
	case "drop_reason_desc", "dropReasonDesc":
		r.dropReason = enum(s, dropReasonNames)
	case "drop_reason", "dropReason":
		if v, ok := s.uint(1<<31 - 1); ok && r.dropReason < 0 {
			r.dropReason = int32(v)
		}
	case "IP":
		ipField(s, r)
	case "l4":
		l4Field(s, r)
	case "source":
		endpointField(s, &r.src)
	case "destination":
		endpointField(s, &r.dst)
	case "Type":
		r.flowType = enum(s, flowTypeNames)
	case "event_type", "eventType":
		if s.enter('{') {
			for n := 0; s.next('}', &n); {
				ek, ok := s.key()
				if !ok {
					break
				}
				switch string(ek) {
				case "type":
					r.eventType, _ = s.int32()
					r.hasEvent = true
				case "sub_type", "subType":
					r.eventSub, _ = s.int32()
				default:
					s.skip()
				}
			}
		}
	case "is_reply", "isReply":
		if v, set, ok := s.bool(); ok && set {
			r.reply = 0
			if v {
				r.reply = 1
			}
		}
	case "reply":
		r.legacyReply, _, _ = s.bool()
	case "sock_xlate_point", "sockXlatePoint":
		r.sockXlate = enum(s, sockXlateNames) != 0
	case "uuid", "emitter", "auth_type", "authType", "ethernet", "tunnel", "node_name", "nodeName",
		"node_labels", "nodeLabels", "source_names", "sourceNames", "destination_names", "destinationNames",
		"l7", "source_service", "sourceService", "destination_service", "destinationService",
		"traffic_direction", "trafficDirection", "policy_match_type", "policyMatchType",
		"trace_observation_point", "traceObservationPoint", "trace_reason", "traceReason",
		"file", "ip_trace_id", "ipTraceId", "debug_capture_point", "debugCapturePoint",
		"interface", "proxy_port", "proxyPort", "trace_context", "traceContext",
		"socket_cookie", "socketCookie", "cgroup_id", "cgroupId", "Summary", "extensions",
		"egress_allowed_by", "egressAllowedBy", "ingress_allowed_by", "ingressAllowedBy",
		"egress_denied_by", "egressDeniedBy", "ingress_denied_by", "ingressDeniedBy",
		"policy_log", "policyLog", "aggregate":
		// Flow fields the reader does not need (the destination endpoint
		// of a flow to a Service is already the backend).
		s.skip()
	default:
		s.skip()
		return false
	}
	return true
}

func ipField(s *scanner, r *rec) {
	if !s.enter('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			return
		}
		switch string(k) {
		case "source":
			r.src.ip = addr(s)
		case "destination":
			r.dst.ip = addr(s)
		default:
			s.skip()
		}
	}
}

func l4Field(s *scanner, r *rec) {
	if !s.enter('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			return
		}
		switch string(k) {
		case "TCP":
			r.proto = l4TCP
			ports(s, r)
		case "UDP":
			r.proto = l4UDP
			ports(s, r)
		case "SCTP":
			r.proto = l4SCTP
			ports(s, r)
		case "ICMPv4", "ICMPv6", "VRRP", "IGMP":
			r.proto = l4Other
			s.skip()
		default:
			// A newer protocol: not one replay judges.
			if r.proto == l4None {
				r.proto = l4Other
			}
			s.skip()
		}
	}
}

// ports reads a TCP, UDP or SCTP object.
func ports(s *scanner, r *rec) {
	if !s.enter('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			return
		}
		switch string(k) {
		case "source_port", "sourcePort":
			v, _ := s.uint(1<<32 - 1)
			r.sport = uint32(v)
		case "destination_port", "destinationPort":
			v, _ := s.uint(1<<32 - 1)
			r.dport = uint32(v)
		case "flags":
			if !s.enter('{') {
				return
			}
			for m := 0; s.next('}', &m); {
				fk, ok := s.key()
				if !ok {
					return
				}
				v, _, _ := s.bool()
				switch string(fk) {
				case "SYN":
					r.syn = v
				case "ACK":
					r.ack = v
				}
			}
		default:
			s.skip()
		}
	}
}

func endpointField(s *scanner, e *endpoint) {
	if !s.enter('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			return
		}
		if s.null() {
			continue
		}
		switch string(k) {
		case "identity":
			v, _ := s.uint(1<<32 - 1)
			e.identity = uint32(v)
		case "namespace":
			e.ns, _ = s.str()
		case "pod_name", "podName":
			e.pod, _ = s.str()
		case "labels":
			start := s.i
			if !s.enter('[') {
				return
			}
			for m := 0; s.next(']', &m); {
				l, ok := s.str()
				if !ok {
					return
				}
				if e.reserved == "" && len(l) > len("reserved:") && string(l[:len("reserved:")]) == "reserved:" {
					e.reserved = reservedLabel(l[len("reserved:"):])
				}
			}
			e.labels = s.b[start:s.i]
		case "workloads":
			if !s.enter('[') {
				return
			}
			for m := 0; s.next(']', &m); {
				kind, name, ok := workload(s)
				if !ok {
					return
				}
				if e.wlName == nil && len(kind) > 0 && len(name) > 0 {
					e.wlKind, e.wlName = kind, name
				}
			}
		default:
			s.skip()
		}
	}
}

func workload(s *scanner) (kind, name []byte, ok bool) {
	if !s.enter('{') {
		return nil, nil, false
	}
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			return nil, nil, false
		}
		switch string(k) {
		case "name":
			name, _ = s.str()
		case "kind":
			kind, _ = s.str()
		default:
			s.skip()
		}
	}
	return kind, name, s.ok()
}

func lostEvents(s *scanner, r *rec) {
	if !s.enter('{') {
		return
	}
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			return
		}
		switch string(k) {
		case "num_events_lost", "numEventsLost":
			r.lost, _ = s.uint(1<<64 - 1)
		default:
			s.skip()
		}
	}
}

// enum reads a protojson enum: its name, or its number. A name the table
// does not have (a newer value) is 0, as unknown.
func enum(s *scanner, names map[string]int32) int32 {
	if s.peek() == '"' {
		name, ok := s.str()
		if !ok {
			return 0
		}
		if v, ok := names[string(name)]; ok {
			return v
		}
		return 0
	}
	v, _ := s.int32()
	return v
}

var verdictNames = map[string]int32{
	"VERDICT_UNKNOWN": 0, "FORWARDED": 1, "DROPPED": 2, "ERROR": 3,
	"AUDIT": 4, "REDIRECTED": 5, "TRACED": 6, "TRANSLATED": 7,
}

// dropReasonNames are the drop reasons that are policy verdicts; every
// other name is some other drop (0, as unknown).
var dropReasonNames = map[string]int32{
	"POLICY_DENIED": 133, "POLICY_DENY": 181, "AUTH_REQUIRED": 189,
}

var sockXlateNames = map[string]int32{
	"SOCK_XLATE_POINT_UNKNOWN": 0, "SOCK_XLATE_POINT_PRE_DIRECTION_FWD": 1, "SOCK_XLATE_POINT_POST_DIRECTION_FWD": 2,
	"SOCK_XLATE_POINT_PRE_DIRECTION_REV": 3, "SOCK_XLATE_POINT_POST_DIRECTION_REV": 4,
}

var flowTypeNames = map[string]int32{"UNKNOWN_TYPE": 0, "L3_L4": 1, "L7": 2, "SOCK": 3}

// isPolicyDrop reports whether a drop reason is a policy's: denied by
// no rule allowing it (POLICY_DENIED), by a deny rule (POLICY_DENY), or
// for want of mutual authentication a policy requires (AUTH_REQUIRED).
func isPolicyDrop(reason int32) bool {
	return reason == 133 || reason == 181 || reason == 189
}

// verdictOf maps a flow's Verdict to the recorded verdict: AUDIT (policy
// audit mode) and REDIRECTED (to the L7 proxy) were delivered; ERROR was
// not; TRACED and TRANSLATED are observation points, not verdicts.
func (r *rec) verdictOf() verdict {
	switch r.verdictEnum {
	case 1, 4, 5:
		return vForwarded
	case 2:
		reason := r.dropReason
		if reason < 0 && r.hasEvent && r.eventType == eventDrop {
			reason = r.eventSub
		}
		if isPolicyDrop(reason) {
			return vDenied
		}
		return vDropped
	case 3:
		return vDropped
	}
	return vNone
}

// Cilium's reserved identities (pkg/identity/numericidentity.go).
var reservedIdentities = [...]string{
	1: "host", 2: "world", 3: "unmanaged", 4: "health", 5: "init",
	6: "remote-node", 7: "kube-apiserver", 8: "ingress", 9: "world", 10: "world",
}

// reservedName is what an end outside the pods is: its numeric reserved
// identity says, else its reserved: label. world-ipv4 and world-ipv6 (of
// dual-stack clusters) are both "world".
func reservedName(identity uint32, fromLabel string) string {
	if int(identity) < len(reservedIdentities) && reservedIdentities[identity] != "" {
		return reservedIdentities[identity]
	}
	return fromLabel
}

func reservedLabel(name []byte) string {
	for _, r := range reservedIdentities {
		if r != "" && string(name) == r {
			return r
		}
	}
	switch string(name) {
	case "world-ipv4", "world-ipv6":
		return "world"
	}
	return string(name)
}

// addr reads an IP address.
func addr(s *scanner) netip.Addr {
	raw, ok := s.str()
	if !ok || len(raw) == 0 {
		return netip.Addr{}
	}
	if a, ok := parseIPv4(raw); ok {
		return a
	}
	a, err := netip.ParseAddr(string(raw))
	if err != nil {
		s.fail("invalid IP address " + strconv.Quote(string(raw)))
		return netip.Addr{}
	}
	return a.Unmap()
}

// parseIPv4 parses a dotted-quad IPv4 address without allocating.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, digits := 0, 0
	v := 0
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			if digits > 0 && v == 0 {
				return netip.Addr{}, false // a leading zero
			}
			v = v*10 + int(c-'0')
			digits++
			if v > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && part < 3:
			ip[part] = byte(v)
			part, digits, v = part+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	ip[3] = byte(v)
	return netip.AddrFrom4(ip), true
}

// timestamp reads a google.protobuf.Timestamp: an RFC 3339 string.
func timestamp(s *scanner) (int64, bool) {
	raw, ok := s.str()
	if !ok {
		return 0, false
	}
	if t, ok := parseUTC(raw); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339Nano, string(raw))
	if err != nil {
		s.fail("invalid time " + strconv.Quote(string(raw)))
		return 0, false
	}
	return t.UnixNano(), true
}

// parseUTC parses the form protojson writes, 2006-01-02T15:04:05.999999999Z,
// without time.Parse.
func parseUTC(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return 0, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return 0, false
	}
	nanos := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return 0, false
		}
		for i := 1; i < 10; i++ {
			nanos *= 10
			if i < len(frac) {
				c := frac[i]
				if c < '0' || c > '9' {
					return 0, false
				}
				nanos += int(c - '0')
			}
		}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nanos, time.UTC)
	if t.Day() != d {
		return 0, false // February 30th and the like
	}
	return t.UnixNano(), true
}
