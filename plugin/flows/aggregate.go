package flows

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Both-end duplicates: a connection between pods is recorded where it
// leaves (EGRESS at the source's node) and where it arrives (INGRESS at
// the destination's), and a packet may be recorded at several points on
// the way (a policy-verdict event and a trace of the same SYN, a SYN sent
// again). Initiating records of one 5-tuple within dupWindow of record time
// of the first are one connection. The window keeps two generations of at
// most windowGeneration 5-tuples each, so its memory is bounded whatever
// the number of records; within it, record time decides, so that records
// of several nodes' files read one after another still meet their other
// end while the window holds them.
const (
	dupWindow        = 10 * time.Second
	windowGeneration = 1 << 18
)

// noTime is the time of a record without one: it matches any.
const noTime = math.MinInt64

type tuple struct {
	src, dst     [16]byte
	sport, dport uint16
	proto        l4
}

func (t tuple) reversed() tuple {
	return tuple{src: t.dst, dst: t.src, sport: t.dport, dport: t.sport, proto: t.proto}
}

// seen is a 5-tuple's first initiating record: when, the connection it
// was counted in, and the most severe verdict its records had.
type seen struct {
	t    int64
	conn int32
	v    verdict
}

type window struct {
	cur, prev map[tuple]seen
}

func near(a, b int64) bool {
	if a == noTime || b == noTime {
		return true
	}
	d := a - b
	return -int64(dupWindow) <= d && d <= int64(dupWindow)
}

func (w *window) get(k tuple, t int64) (seen, bool) {
	if v, ok := w.cur[k]; ok && near(v.t, t) {
		return v, true
	}
	if v, ok := w.prev[k]; ok && near(v.t, t) {
		return v, true
	}
	return seen{}, false
}

func (w *window) put(k tuple, v seen) {
	if len(w.cur) >= windowGeneration {
		w.prev, w.cur = w.cur, w.prev
		clear(w.cur)
	}
	w.cur[k] = v
}

// conn is a distinct connection while records are read.
type conn struct {
	src, dst    query.ObservedEnd
	proto       corev1.Protocol
	port        int32
	byV         [vDenied + 1]int
	first, last int64 // noTime if no record had a time
	where       string
}

func (c *conn) add(v verdict, n int, t int64) {
	c.byV[v] += n
	if t == noTime {
		return
	}
	if c.first == noTime || t < c.first {
		c.first = t
	}
	if c.last == noTime || t > c.last {
		c.last = t
	}
}

// aggregator counts the records of every file read in order: the state
// all files share.
type aggregator struct {
	opts  Options
	stats Stats
	conns []*conn
	index map[string]int32 // connection key: see appendEndKey
	key   []byte
	win   window
	// podWorkload is each pod's workload ("ns/pod" to "Kind/name") as any
	// record said it: Hubble names the workload of an end only at the
	// end's own node, so the other end's records are completed with it
	// when the connections are returned.
	podWorkload map[string]string
	podKey      []byte
}

func newAggregator(opts Options) *aggregator {
	return &aggregator{
		opts:        opts,
		stats:       Stats{NonFlow: map[string]int{}},
		index:       map[string]int32{},
		win:         window{cur: map[tuple]seen{}, prev: map[tuple]seen{}},
		podWorkload: map[string]string{},
	}
}

// bad handles a bad record: an error, or counted with SkipBadRecords.
func (a *aggregator) bad(file string, line int, why string) error {
	err := &BadRecordError{Where: file + ":" + strconv.Itoa(line), Why: why}
	if !a.opts.SkipBadRecords {
		return err
	}
	a.stats.Bad++
	if a.stats.FirstBad == "" {
		a.stats.FirstBad = err.Error()
	}
	return nil
}

var protocols = [...]corev1.Protocol{l4TCP: corev1.ProtocolTCP, l4UDP: corev1.ProtocolUDP, l4SCTP: corev1.ProtocolSCTP}

// flow counts a Hubble flow record.
func (a *aggregator) flow(r *rec, file string) error {
	a.stats.Flows++
	a.learn(&r.src)
	a.learn(&r.dst)
	switch r.proto {
	case l4TCP, l4UDP, l4SCTP:
	default:
		a.stats.Unjudged++
		return nil
	}
	// A socket-LB event (Type SOCK) shows a connect() before and after
	// service translation; the packets' records show the connection.
	if r.sockXlate || r.flowType == 3 || r.hasEvent && r.eventType == eventTraceSock {
		a.stats.NotInitiating++
		return nil
	}
	reply := r.reply
	if reply < 0 && r.legacyReply {
		reply = 1
	}
	policyVerdict := r.hasEvent && r.eventType == eventPolicyVerdict
	switch {
	case reply == 1:
		a.stats.NotInitiating++
		return nil
	case policyVerdict:
	case r.proto == l4TCP && !(r.syn && !r.ack):
		a.stats.NotInitiating++
		return nil
	}
	if why := r.missing(); why != "" {
		a.stats.Flows--
		return a.bad(file, r.line, why)
	}
	t := tuple{src: r.src.ip.As16(), dst: r.dst.ip.As16(), sport: uint16(r.sport), dport: uint16(r.dport), proto: r.proto}
	tm := int64(noTime)
	if r.hasTime {
		tm = r.time
	}
	// A UDP or SCTP record that does not say whether it is a reply is one
	// when its reverse was seen starting a connection.
	if reply < 0 && r.proto != l4TCP && !policyVerdict {
		if _, ok := a.win.get(t.reversed(), tm); ok {
			a.stats.NotInitiating++
			return nil
		}
	}
	v := r.verdictOf()
	if s, ok := a.win.get(t, tm); ok {
		a.stats.Duplicates++
		if v > s.v {
			c := a.conns[s.conn]
			c.byV[s.v]--
			c.byV[v]++
			s.v = v
			a.win.put(t, s)
		}
		return nil
	}
	a.key = appendEndKey(a.key[:0], &r.src)
	a.key = append(a.key, 0)
	a.key = appendEndKey(a.key, &r.dst)
	a.key = appendProtoPort(a.key, r.proto, r.dport)
	i, ok := a.index[string(a.key)]
	if !ok {
		i = a.newConn(string(a.key), r.src.observed(), r.dst.observed(), protocols[r.proto], int32(r.dport), file, r.line)
	}
	a.conns[i].add(v, 1, tm)
	a.win.put(t, seen{t: tm, conn: i, v: v})
	return nil
}

// missing says what an initiating record lacks to be a connection.
func (r *rec) missing() string {
	switch {
	case !r.src.ip.IsValid():
		return "a connection's record without IP.source"
	case !r.dst.ip.IsValid():
		return "a connection's record without IP.destination"
	case r.dport == 0:
		return "a connection's record without a destination port"
	case r.dport > 65535:
		return "invalid destination port " + strconv.FormatUint(uint64(r.dport), 10)
	case r.sport > 65535:
		return "invalid source port " + strconv.FormatUint(uint64(r.sport), 10)
	}
	return ""
}

func (a *aggregator) newConn(key string, src, dst query.ObservedEnd, proto corev1.Protocol, port int32, file string, line int) int32 {
	i := int32(len(a.conns))
	a.conns = append(a.conns, &conn{
		src: src, dst: dst, proto: proto, port: port,
		first: noTime, last: noTime,
		where: file + ":" + strconv.Itoa(line),
	})
	a.index[key] = i
	return i
}

// generic counts a connection of the generic format: count connections.
func (a *aggregator) generic(src, dst query.ObservedEnd, proto l4, port int32, v verdict, count int, t int64, file string, line int) {
	a.stats.Flows++
	a.key = append(a.key[:0], src.Key()...)
	a.key = append(a.key, 0)
	a.key = append(a.key, dst.Key()...)
	a.key = appendProtoPort(a.key, proto, uint32(port))
	i, ok := a.index[string(a.key)]
	if !ok {
		i = a.newConn(string(a.key), src, dst, protocols[proto], port, file, line)
	}
	a.conns[i].add(v, count, t)
}

// appendEndKey appends what query.ObservedEnd.Key says of the end, from
// the record's bytes.
func appendEndKey(b []byte, e *endpoint) []byte {
	switch {
	case len(e.ns) > 0 && len(e.wlName) > 0:
		b = append(b, e.ns...)
		b = append(b, '/')
		b = append(b, e.wlKind...)
		b = append(b, '/')
		return append(b, e.wlName...)
	case len(e.ns) > 0 && len(e.pod) > 0:
		b = append(b, e.ns...)
		b = append(b, '/')
		return append(b, e.pod...)
	case e.ip.IsValid():
		return e.ip.AppendTo(b)
	case e.reserved != "":
		b = append(b, "reserved:"...)
		return append(b, e.reserved...)
	}
	return append(b, '?')
}

func appendProtoPort(b []byte, proto l4, port uint32) []byte {
	return append(b, 0, byte(proto), byte(port>>8), byte(port))
}

// learn remembers the workload of a pod end that names one.
func (a *aggregator) learn(e *endpoint) {
	if len(e.ns) == 0 || len(e.pod) == 0 || len(e.wlName) == 0 {
		return
	}
	a.podKey = append(append(append(a.podKey[:0], e.ns...), '/'), e.pod...)
	if _, ok := a.podWorkload[string(a.podKey)]; !ok {
		a.podWorkload[string(a.podKey)] = string(e.wlKind) + "/" + string(e.wlName)
	}
}

// observed is the end as the connection keeps it.
func (e *endpoint) observed() query.ObservedEnd {
	o := query.ObservedEnd{
		Namespace: string(e.ns),
		Pod:       string(e.pod),
		Labels:    podLabels(e.labels),
		IP:        e.ip,
		Reserved:  e.reserved,
	}
	if len(e.wlName) > 0 {
		o.Workload = string(e.wlKind) + "/" + string(e.wlName)
	}
	return o
}

// podLabels decodes an endpoint's labels array: the pod's own labels,
// without the k8s: source prefix, without the labels Cilium adds
// (io.cilium.k8s.*: the namespace's labels, the service account, the
// cluster; io.kubernetes.pod.namespace) and without labels of other
// sources (reserved:, cidr:, fqdn:...).
func podLabels(raw []byte) map[string]string {
	if len(raw) == 0 {
		return nil
	}
	var s scanner
	s.reset(raw)
	var out map[string]string
	if !s.enter('[') {
		return nil
	}
	for n := 0; s.next(']', &n); {
		l, ok := s.str()
		if !ok {
			return out
		}
		label := string(l)
		eq := strings.IndexByte(label, '=')
		if colon := strings.IndexByte(label, ':'); colon >= 0 && (eq < 0 || colon < eq) {
			if label[:colon] != "k8s" {
				continue
			}
			label = label[colon+1:]
			eq -= colon + 1
		}
		k, v := label, ""
		if eq >= 0 {
			k, v = label[:eq], label[eq+1:]
		}
		if k == "" || strings.HasPrefix(k, "io.cilium.k8s.") || k == "io.kubernetes.pod.namespace" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// result completes the ends with the workloads learnt, merges the
// connections that then have one key, and sorts them by key.
func (a *aggregator) result() []query.ObservedConnection {
	type keyed struct {
		c              *conn
		srcKey, dstKey string
	}
	merged := map[string]int{}
	var list []keyed
	for _, c := range a.conns {
		a.complete(&c.src)
		a.complete(&c.dst)
		k := keyed{c: c, srcKey: c.src.Key(), dstKey: c.dst.Key()}
		full := k.srcKey + "\x00" + k.dstKey + "\x00" + string(c.proto) + "\x00" + strconv.Itoa(int(c.port))
		if j, ok := merged[full]; ok {
			// a.conns is in the order of first records: list[j] came first.
			m := list[j].c
			for v, n := range c.byV {
				m.byV[v] += n
			}
			if c.first != noTime {
				m.add(vNone, 0, c.first)
				m.add(vNone, 0, c.last)
			}
			continue
		}
		merged[full] = len(list)
		list = append(list, k)
	}
	slices.SortFunc(list, func(x, y keyed) int {
		return cmp.Or(strings.Compare(x.srcKey, y.srcKey), strings.Compare(x.dstKey, y.dstKey),
			strings.Compare(string(x.c.proto), string(y.c.proto)), cmp.Compare(x.c.port, y.c.port))
	})
	out := make([]query.ObservedConnection, 0, len(list))
	for _, k := range list {
		c := k.c
		oc := query.ObservedConnection{Src: c.src, Dst: c.dst, Protocol: c.proto, Port: c.port, Where: c.where}
		for v, n := range c.byV {
			if n == 0 {
				continue
			}
			if oc.ByVerdict == nil {
				oc.ByVerdict = map[query.RecordedVerdict]int{}
			}
			oc.ByVerdict[recorded[v]] += n
			oc.Count += n
		}
		if c.first != noTime {
			oc.First, oc.Last = time.Unix(0, c.first).UTC(), time.Unix(0, c.last).UTC()
		}
		a.stats.Connections += oc.Count
		out = append(out, oc)
	}
	return out
}

var recorded = [...]query.RecordedVerdict{
	vNone: query.RecordedNone, vForwarded: query.RecordedForwarded,
	vDropped: query.RecordedDropped, vDenied: query.RecordedDenied,
}

// complete gives a pod end without a workload the one a record named.
func (a *aggregator) complete(e *query.ObservedEnd) {
	if e.Workload != "" || e.Namespace == "" || e.Pod == "" {
		return
	}
	if w, ok := a.podWorkload[e.Namespace+"/"+e.Pod]; ok {
		e.Workload = w
	}
}
