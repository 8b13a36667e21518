package gen

import (
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The connections of Hubble's traffic and the records each one makes.

// record is one record of a connection, or a record without a flow.
type record struct {
	kind  recordKind
	side  uint8 // 0: at the node of the connection's source, 1: its destination's
	reply bool  // a packet from the destination to the source
	flags uint8 // TCP flags
	point uint8 // a trace's observation point (Cilium's trace sub-type)
	// dropped is a policy-verdict event that dropped the packet.
	dropped bool
	// sockPost is the socket-LB event after translation (before: the
	// Service's address).
	sockPost bool
	// A record without a flow: the wrapper's kind, the events it says
	// were lost, and the node it is of.
	wrapper string
	lost    int
	node    int
}

type recordKind uint8

const (
	recTrace  recordKind = iota // a trace event: a packet seen at an observation point
	recPolicy                   // a policy-verdict event
	recDrop                     // a drop event (POLICY_DENIED)
	recSock                     // a socket-LB translation
	recWrapper
)

const (
	flagSYN uint8 = 1 << iota
	flagACK
	flagFIN
	flagPSH
)

// Cilium's trace observation points (the trace event's sub-type).
const (
	pointToEndpoint = 0
	pointToStack    = 3
	pointToOverlay  = 4
)

// start starts a connection of a kind drawn from the mix, and now and
// then writes a record without a flow.
func (h *hubbleGen) start() {
	t := h.t
	// A lost_events record every 1,000 connections or so, a node_status
	// every 5,000.
	if h.untilLost--; h.untilLost <= 0 {
		h.untilLost = 1 + h.rng.IntN(2000)
		h.schedule(h.now, nil, record{kind: recWrapper, wrapper: "lost_events", lost: 1 + h.rng.IntN(300), node: h.rng.IntN(len(t.nodes))})
	}
	if h.untilStatus--; h.untilStatus <= 0 {
		h.untilStatus = 1 + h.rng.IntN(10000)
		h.schedule(h.now, nil, record{kind: recWrapper, wrapper: "node_status", node: h.rng.IntN(len(t.nodes))})
	}
	ws := make([]float64, len(t.mix))
	for i, m := range t.mix {
		ws[i] = m.weight
	}
	switch t.mix[weightedIndex(h.rng, ws)].kind {
	case kindCall:
		c := pickOf(h.rng, t.calls)
		h.connect(h.podOf(c.from), h.podOf(c.to), c.port, t.service(c.to, c.port), t.fate(c.from, c.to))
	case kindDNS:
		dns := corev1.ContainerPort{ContainerPort: 53, Protocol: corev1.ProtocolUDP}
		h.connect(pickOf(h.rng, t.apps), pickOf(h.rng, t.resolvers), dns, t.kubeDNS, fateOK)
	case kindFromWorld:
		dst := pickOf(h.rng, t.ingress)
		port := pickOf(h.rng, dst.pod.wl.served)
		h.connect(t.world(pickOf(h.rng, t.clients), false), dst, port, nil, fateOK)
	case kindToFront:
		c := pickOf(h.rng, t.fronts)
		h.connect(h.podOf(c.from), h.podOf(c.to), c.port, nil, t.admits(c.to, "allow-ingress-nginx"))
	case kindScrape:
		c := pickOf(h.rng, t.scrape)
		h.connect(h.podOf(c.from), h.podOf(c.to), c.port, nil, t.admits(c.to, "allow-prometheus-scrape", "allow-monitoring"))
	case kindTelemetry:
		src := pickOf(h.rng, t.telemetry)
		if dst := t.agents[src.pod.node]; dst != nil {
			h.connect(src, dst, corev1.ContainerPort{ContainerPort: 4317, Protocol: corev1.ProtocolTCP}, nil, fateOK)
		}
	case kindInternet:
		w := pickOf(h.rng, t.internet)
		h.connect(h.podOf(w), t.world(pickOf(h.rng, t.saas), false), corev1.ContainerPort{ContainerPort: 443, Protocol: corev1.ProtocolTCP}, nil, t.fate(w, nil))
	case kindPartner:
		w := pickOf(h.rng, t.partner)
		if len(w.partnerIPs) == 0 {
			// No egress policy names them: the backends are the workload's own.
			w.partnerIPs = []netip.Addr{
				netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + h.rng.IntN(254))}),
				netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + h.rng.IntN(254))}),
			}
		}
		port := corev1.ContainerPort{ContainerPort: pickOf(h.rng, []int32{443, 8443}), Protocol: corev1.ProtocolTCP}
		h.connect(h.podOf(w), t.world(pickOf(h.rng, w.partnerIPs), true), port, nil, t.fate(w, nil))
	case kindProbe:
		h.probe()
	case kindProbeEgress:
		w := pickOf(h.rng, t.confined)
		h.connect(h.podOf(w), t.world(pickOf(h.rng, t.saas), false), corev1.ContainerPort{ContainerPort: 443, Protocol: corev1.ProtocolTCP}, nil, fateDenyEgress)
	case kindPing:
		w := pickOf(h.rng, t.internet)
		c := &conn{src: h.podOf(w), dst: t.world(pickOf(h.rng, t.saas), false), proto: protoICMP}
		c.lat = h.latency(c)
		h.packet(c, h.now, false, 0, true, fateOK)
		h.packet(c, h.now+2*c.lat, true, 0, false, fateOK)
	}
}

// probe is a connection the policies are meant to stop: a pod calling a
// served workload of another namespace that isolates its pods, which is
// not among the workload's clients.
func (h *hubbleGen) probe() {
	t := h.t
	for range 10 {
		u := pickOf(h.rng, t.calls).to
		src := pickOf(h.rng, t.apps)
		if !t.isolated[u.ns] || src.pod.wl.ns == u.ns || slices.Contains(u.clients, src.pod.wl) {
			continue
		}
		f := fateDenyIngress
		if t.egressOnly[src.pod.wl.ns] {
			f = fateDenyEgress
		}
		p := pickOf(h.rng, u.served)
		h.connect(src, h.podOf(u), p, t.service(u, p), f)
		return
	}
}

func (h *hubbleGen) podOf(w *workload) *end { return pickOf(h.rng, h.t.byWorkload[w]) }

func pickOf[T any](rng interface{ IntN(int) int }, xs []T) T { return xs[rng.IntN(len(xs))] }

func weightedIndex(rng interface{ Float64() float64 }, ws []float64) int {
	var sum float64
	for _, w := range ws {
		sum += w
	}
	x := rng.Float64() * sum
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// latency is a packet's one-way time between the ends.
func (h *hubbleGen) latency(c *conn) int64 {
	switch {
	case c.src.pod == nil || c.dst.pod == nil:
		return int64(5*time.Millisecond) + h.rng.Int64N(int64(75*time.Millisecond))
	case c.src.pod.node == c.dst.pod.node:
		return int64(10*time.Microsecond) + h.rng.Int64N(int64(30*time.Microsecond))
	}
	return int64(150*time.Microsecond) + h.rng.Int64N(int64(450*time.Microsecond))
}

// connect records a TCP or UDP connection from src to dst's port p,
// through the Service svc if not nil.
func (h *hubbleGen) connect(src, dst *end, p corev1.ContainerPort, svc *svcRef, f fate) {
	c := &conn{src: src, dst: dst, proto: protoTCP, sport: h.ephemeral(src.ip), dport: uint16(p.ContainerPort), svc: svc}
	if p.Protocol == corev1.ProtocolUDP {
		c.proto = protoUDP
	}
	t := h.now
	if svc != nil && src.pod != nil && h.rng.IntN(10) < 3 {
		h.schedule(t, c, record{kind: recSock})
		h.schedule(t+1000, c, record{kind: recSock, sockPost: true})
		t += 3000
	}
	c.lat = h.latency(c)
	lat := c.lat
	if c.proto == protoUDP {
		// A request and its answer; DNS asks for A and AAAA from one socket.
		h.packet(c, t, false, 0, true, f)
		h.packet(c, t+2*lat+200_000, true, 0, false, f)
		if c.dport == 53 {
			h.packet(c, t+20_000, false, 0, false, f)
			h.packet(c, t+2*lat+250_000, true, 0, false, f)
		}
		return
	}
	h.packet(c, t, false, flagSYN, true, f)
	if f != fateOK {
		// SYN sent again after 1 s and 3 s, dropped again.
		h.packet(c, t+int64(time.Second), false, flagSYN, false, f)
		h.packet(c, t+int64(3*time.Second), false, flagSYN, false, f)
		return
	}
	h.packet(c, t+lat+15_000, true, flagSYN|flagACK, false, f)
	h.packet(c, t+2*lat+30_000, false, flagACK, false, f)
	if h.rng.IntN(2) == 0 {
		h.packet(c, t+2*lat+60_000, false, flagACK|flagPSH, false, f)
	}
	if h.rng.IntN(10) < 6 {
		d := min(int64(time.Millisecond)+int64(h.rng.ExpFloat64()*float64(300*time.Millisecond)), int64(5*time.Second))
		h.packet(c, t+2*lat+d, false, flagFIN|flagACK, false, f)
		h.packet(c, t+3*lat+d+10_000, true, flagFIN|flagACK, false, f)
	}
}

// packet records a packet at the nodes of its sender and receiver: a
// policy verdict where the first packet meets an enforcing endpoint, the
// drop if policy drops it, a trace where it leaves one node and where it
// is delivered.
func (h *hubbleGen) packet(c *conn, t int64, reply bool, flags uint8, first bool, f fate) {
	from, to := c.src, c.dst
	fromSide, toSide := uint8(0), uint8(1)
	if reply {
		from, to, fromSide, toSide = to, from, toSide, fromSide
	}
	sameNode := from.pod != nil && to.pod != nil && from.pod.node == to.pod.node
	// Drops are drop events or policy-verdict events that say DROPPED.
	dropKind := recDrop
	if c.sport%2 == 0 {
		dropKind = recPolicy
	}
	if from.pod != nil {
		if !reply && f == fateDenyEgress {
			h.schedule(t, c, record{kind: dropKind, side: fromSide, flags: flags, dropped: dropKind == recPolicy})
			return
		}
		if first && h.t.egressOnly[from.pod.wl.ns] {
			h.schedule(t, c, record{kind: recPolicy, side: fromSide, flags: flags})
		}
		if !sameNode {
			point := uint8(pointToOverlay)
			if to.pod == nil {
				point = pointToStack
			}
			h.schedule(t+1000, c, record{kind: recTrace, side: fromSide, reply: reply, flags: flags, point: point})
		}
	}
	if to.pod == nil {
		return
	}
	lat := c.lat
	if !reply && f == fateDenyIngress {
		h.schedule(t+lat, c, record{kind: dropKind, side: toSide, flags: flags, dropped: dropKind == recPolicy})
		return
	}
	if first && h.t.isolated[to.pod.wl.ns] {
		h.schedule(t+lat, c, record{kind: recPolicy, side: toSide, flags: flags})
	}
	h.schedule(t+lat+1000, c, record{kind: recTrace, side: toSide, reply: reply, flags: flags, point: pointToEndpoint})
}
