package gen

import (
	"strconv"
	"time"
)

// Records as `hubble observe -o json` prints them: the protojson form of
// observer.GetFlowsResponse with proto field names (cilium/cilium
// api/v1/observer/observer.proto and api/v1/flow/flow.proto), fields in
// the order Hubble writes them, unset fields left out.

// render appends an event's record.
func (h *hubbleGen) render(b []byte, ev *event) []byte {
	if ev.c == nil {
		return h.renderWrapper(b, ev)
	}
	c, r := ev.c, &ev.r
	nd := &h.t.nodes[c.node(r.side)]
	from, to := c.src, c.dst
	sport, dport := c.sport, c.dport
	if r.reply {
		from, to, sport, dport = to, from, dport, sport
	}
	toIP := to.ipStr
	if r.kind == recSock && !r.sockPost {
		toIP, dport = c.svc.ipStr, c.svc.port
	}
	b = append(b, `{"flow":{"time":"`...)
	b = appendTime(b, ev.t)
	b = append(b, `","uuid":"`...)
	b = h.appendUUID(b)
	b = append(b, `","emitter":{"name":"Hubble","version":"1.17.3"},"verdict":"`...)
	switch {
	case r.kind == recDrop || r.dropped:
		b = append(b, `DROPPED","drop_reason":133`...)
	case r.kind == recSock:
		b = append(b, `TRANSLATED"`...)
	default:
		b = append(b, `FORWARDED"`...)
	}
	if r.kind != recSock {
		b = append(b, `,"ethernet":{"source":"`...)
		b = append(b, mac(from, nd)...)
		b = append(b, `","destination":"`...)
		b = append(b, mac(to, nd)...)
		b = append(b, `"}`...)
	}
	b = append(b, `,"IP":{"source":"`...)
	b = append(b, from.ipStr...)
	b = append(b, `","destination":"`...)
	b = append(b, toIP...)
	b = append(b, `","ipVersion":"IPv4"},"l4":{`...)
	switch c.proto {
	case protoTCP, protoUDP:
		if c.proto == protoTCP {
			b = append(b, `"TCP":{"source_port":`...)
		} else {
			b = append(b, `"UDP":{"source_port":`...)
		}
		b = strconv.AppendUint(b, uint64(sport), 10)
		b = append(b, `,"destination_port":`...)
		b = strconv.AppendUint(b, uint64(dport), 10)
		if r.flags != 0 {
			b = append(b, `,"flags":{`...)
			b = appendFlags(b, r.flags, `"SYN":true`, `"ACK":true`, `"FIN":true`, `"PSH":true`, ",")
			b = append(b, '}')
		}
		b = append(b, '}')
	case protoICMP:
		if r.reply {
			b = append(b, `"ICMPv4":{}`...) // echo reply: type 0, unset
		} else {
			b = append(b, `"ICMPv4":{"type":8}`...)
		}
	}
	b = append(b, `},"source":`...)
	b = appendEndpoint(b, from, nd, h.t)
	b = append(b, `,"destination":`...)
	b = appendEndpoint(b, to, nd, h.t)
	if r.kind == recSock {
		b = append(b, `,"Type":"SOCK","node_name":"`...)
	} else {
		b = append(b, `,"Type":"L3_L4","node_name":"`...)
	}
	b = append(b, nd.name...)
	b = append(b, `","node_labels":`...)
	b = append(b, nd.labels...)
	switch r.kind {
	case recTrace:
		b = append(b, `,"event_type":{"type":4`...)
		if r.point != 0 {
			b = append(b, `,"sub_type":`...)
			b = strconv.AppendUint(b, uint64(r.point), 10)
		}
		b = append(b, '}')
	case recPolicy:
		b = append(b, `,"event_type":{"type":5}`...)
	case recDrop:
		b = append(b, `,"event_type":{"type":1,"sub_type":133}`...)
	case recSock:
		b = append(b, `,"event_type":{"type":7}`...)
	}
	if r.side == 0 {
		b = append(b, `,"traffic_direction":"EGRESS"`...)
	} else {
		b = append(b, `,"traffic_direction":"INGRESS"`...)
	}
	switch r.kind {
	case recTrace:
		b = append(b, `,"trace_observation_point":"`...)
		b = append(b, pointNames[r.point]...)
		switch {
		case r.reply:
			b = append(b, `","trace_reason":"REPLY"`...)
		case r.flags&flagSYN != 0 || c.proto != protoTCP:
			b = append(b, `","trace_reason":"NEW"`...)
		default:
			b = append(b, `","trace_reason":"ESTABLISHED"`...)
		}
	case recPolicy:
		b = append(b, `,"policy_match_type":2`...)
	case recDrop:
		b = append(b, `,"file":{"name":"bpf_lxc.c","line":1986}`...)
	case recSock:
		if r.sockPost {
			b = append(b, `,"sock_xlate_point":"SOCK_XLATE_POINT_POST_DIRECTION_FWD"`...)
		} else {
			b = append(b, `,"sock_xlate_point":"SOCK_XLATE_POINT_PRE_DIRECTION_FWD"`...)
		}
		b = append(b, `,"socket_cookie":"`...)
		b = strconv.AppendUint(b, uint64(c.sport)<<12|uint64(from.index&0xfff), 10)
		b = append(b, '"')
	}
	if r.kind == recDrop || r.dropped {
		b = append(b, `,"drop_reason_desc":"POLICY_DENIED"`...)
	} else if r.kind != recSock {
		if r.reply {
			b = append(b, `,"is_reply":true,"reply":true`...)
		} else {
			b = append(b, `,"is_reply":false`...)
		}
	}
	if c.svc != nil && r.kind != recSock {
		if r.reply {
			b = append(b, `,"source_service":{"name":"`...)
		} else {
			b = append(b, `,"destination_service":{"name":"`...)
		}
		b = append(b, c.svc.name...)
		b = append(b, `","namespace":"`...)
		b = append(b, c.svc.ns...)
		b = append(b, `"}`...)
	}
	b = append(b, `,"Summary":"`...)
	switch c.proto {
	case protoTCP:
		if r.flags == 0 {
			b = append(b, "TCP"...)
		} else {
			b = append(b, "TCP Flags: "...)
			b = appendFlags(b, r.flags, "SYN", "ACK", "FIN", "PSH", ", ")
		}
	case protoUDP:
		b = append(b, "UDP"...)
	case protoICMP:
		if r.reply {
			b = append(b, "ICMPv4 EchoReply"...)
		} else {
			b = append(b, "ICMPv4 EchoRequest"...)
		}
	}
	b = append(b, `"},"node_name":"`...)
	b = append(b, nd.name...)
	b = append(b, `","time":"`...)
	b = appendTime(b, ev.t)
	return append(b, `"}`...)
}

var pointNames = [...]string{pointToEndpoint: "TO_ENDPOINT", 1: "TO_PROXY", 2: "TO_HOST", pointToStack: "TO_STACK", pointToOverlay: "TO_OVERLAY"}

// appendFlags appends the names of the set flags in Hubble's order.
func appendFlags(b []byte, flags uint8, syn, ack, fin, psh, sep string) []byte {
	n := 0
	for _, f := range []struct {
		bit  uint8
		name string
	}{{flagSYN, syn}, {flagFIN, fin}, {flagPSH, psh}, {flagACK, ack}} {
		if flags&f.bit == 0 {
			continue
		}
		if n > 0 {
			b = append(b, sep...)
		}
		b = append(b, f.name...)
		n++
	}
	return b
}

// appendEndpoint appends an end as the record of node nd names it: a pod
// at its own node with its endpoint ID and workloads, elsewhere without.
func appendEndpoint(b []byte, e *end, nd *hnode, t *traffic) []byte {
	switch {
	case e.pod == nil:
		return append(b, e.world...)
	case &t.nodes[e.pod.node] == nd:
		return append(b, e.pod.local...)
	}
	return append(b, e.pod.remote...)
}

func mac(e *end, nd *hnode) string {
	if e.pod != nil {
		return e.pod.mac
	}
	return nd.mac
}

func (h *hubbleGen) renderWrapper(b []byte, ev *event) []byte {
	nd := &h.t.nodes[ev.r.node]
	switch ev.r.wrapper {
	case "lost_events":
		b = append(b, `{"lost_events":{"source":"PERF_EVENT_RING_BUFFER","num_events_lost":"`...)
		b = strconv.AppendInt(b, int64(ev.r.lost), 10)
		b = append(b, `","cpu":`...)
		b = strconv.AppendInt(b, int64(ev.r.lost%4), 10)
		b = append(b, `},"node_name":"`...)
		b = append(b, nd.name...)
		b = append(b, '"')
	default:
		b = append(b, `{"node_status":{"state_change":"NODE_UNAVAILABLE","node_names":["`...)
		b = append(b, nd.name...)
		b = append(b, `"],"message":"rpc error: code = Unavailable desc = connection error"},"node_name":"hubble-relay-6b9d7c8f5-tq4mz"`...)
	}
	b = append(b, `,"time":"`...)
	b = appendTime(b, ev.t)
	return append(b, `"}`...)
}

// appendTime appends a time as protojson writes a Timestamp.
func appendTime(b []byte, t int64) []byte {
	return time.Unix(0, t).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000000Z")
}

const hexDigits = "0123456789abcdef"

// appendUUID appends a random (version 4) UUID.
func (h *hubbleGen) appendUUID(b []byte) []byte {
	hi, lo := h.rng.Uint64(), h.rng.Uint64()
	hi = hi&^(0xf<<12) | 0x4<<12
	lo = lo&^(0x3<<62) | 0x2<<62
	for i := 60; i >= 0; i -= 4 {
		if i == 28 || i == 12 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[hi>>uint(i)&0xf])
	}
	b = append(b, '-')
	for i := 60; i >= 0; i -= 4 {
		if i == 44 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[lo>>uint(i)&0xf])
	}
	return b
}
