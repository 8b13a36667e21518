package gen

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Hubble writes a recording of a generated cluster's traffic as
// `hubble observe -o json` prints it (hubble_json.go), so that the flow
// reader and replay can be measured on records of realistic shape and
// volume, naming the pods, addresses and ports of a cluster whose
// manifests Cluster(cfg.Cluster) gives.
//
// The traffic follows the cluster's calls (hubble_traffic.go): frontends
// calling APIs, APIs and workers calling datastores, DNS to CoreDNS, the
// internet through ingress-nginx, Prometheus scraping, the telemetry agent
// on each node, egress to the internet and to partner backends. A few
// connections are ones the cluster's policies are meant to stop, recorded
// DROPPED with POLICY_DENIED, SYN sent again after 1 s and 3 s. Each
// connection is recorded as Cilium's datapath traces it with monitor
// aggregation: every TCP flag change at the node of each end (SYN, SYN-ACK,
// ACK, FIN), policy-verdict events where a namespace enforces policy, the
// socket-LB translation of some Service connections, DNS queries A and
// AAAA from one socket; and now and then a lost_events or node_status
// record without a flow. Records are in time order, as Hubble Relay sorts
// them. Addresses are IPv4 (the first of each pod's IPs).
//
// The records are written as they are made: memory grows with the
// cluster and the distinct connections, not with cfg.Records. The same
// config writes the same bytes.
func Hubble(w io.Writer, cfg HubbleConfig) (HubbleStats, error) {
	h := newHubbleGen(cfg)
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := h.run(bw); err != nil {
		return HubbleStats{}, err
	}
	if err := bw.Flush(); err != nil {
		return HubbleStats{}, err
	}
	return h.result(), nil
}

// HubbleConfig sizes a generated Hubble recording.
type HubbleConfig struct {
	// Cluster is the cluster whose traffic is recorded: the records name
	// the pods of Cluster(Cluster).
	Cluster Config
	// Records is the number of lines to write.
	Records int
	// Seed seeds the traffic, a random stream apart from the cluster's.
	Seed int64
	// Start is the time of the first connection; zero is 1 September 2025.
	Start time.Time
}

// HubbleStats is what Hubble wrote, counted as a reader of connections
// should count it (the names are those of plugin/flows.Stats): which
// records start a connection (a TCP SYN without ACK, a UDP packet that is
// not a reply, a policy-verdict event), which are the same connection
// again (at its other end, sent again, traced at a second point), and
// which connections are distinct once pods are taken by workload.
type HubbleStats struct {
	Records int // lines
	Flows   int // records with a flow
	// NonFlow counts the records without a flow by kind: node_status,
	// lost_events.
	NonFlow map[string]int
	// LostEvents is the sum of the lost_events records' num_events_lost.
	LostEvents int
	// NotInitiating counts flow records that do not start a connection:
	// replies, TCP with ACK or without SYN, socket-LB translations.
	NotInitiating int
	// Unjudged counts ICMP flow records.
	Unjudged int
	// Duplicates counts records that start a connection already counted.
	Duplicates int
	// Connections is the number of connections started; Forwarded and
	// Denied split it by the most severe verdict of their records
	// (POLICY_DENIED at either end is Denied).
	Connections, Forwarded, Denied int
	// Distinct is the number of distinct (source, destination, protocol,
	// destination port): a pod by its workload once any record of the
	// file named the workload (Hubble names it only at the pod's own
	// node), else by its name; an address outside the cluster by itself.
	Distinct int
}

// hubbleStream is the random stream of Hubble's traffic.
const hubbleStream = 0xbb67ae8584caa73b

// Spacing of connections: at least minGap apart plus an exponential gap
// of mean meanGap (about 200 a second). With minGap no source address
// starts the 28,232 connections of Linux's ephemeral ports within the
// 10 s in which a reader takes one 5-tuple for one connection, so that
// every 5-tuple reused is a new connection to a reader too.
const (
	minGap  = 500 * time.Microsecond
	meanGap = 4500 * time.Microsecond
)

// hubbleGen is the state of one Hubble call.
type hubbleGen struct {
	cfg   HubbleConfig
	rng   *rand.Rand
	t     *traffic
	queue events
	seq   uint64
	now   int64 // the next connection's time, Unix nanoseconds
	buf   []byte
	stats HubbleStats
	ports map[netip.Addr]uint16 // the last ephemeral port of each source address
	// untilLost and untilStatus count the connections until the next
	// lost_events and node_status records.
	untilLost, untilStatus int
	// counted is every connection counted, by its ends' indexes (pods
	// from 0, outside addresses below 0), protocol and port.
	counted map[connKey]struct{}
}

type connKey struct {
	src, dst int32
	proto    proto
	port     uint16
}

func newHubbleGen(cfg HubbleConfig) *hubbleGen {
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), hubbleStream))
	h := &hubbleGen{
		cfg:     cfg,
		rng:     rng,
		now:     cfg.Start.UnixNano(),
		stats:   HubbleStats{NonFlow: map[string]int{}},
		ports:   map[netip.Addr]uint16{},
		counted: map[connKey]struct{}{},
	}
	h.t = newTraffic(build(cfg.Cluster), rng)
	h.untilLost, h.untilStatus = 1+rng.IntN(500), 1+rng.IntN(3000)
	return h
}

// run writes cfg.Records lines: it starts connections one after another
// and writes the records they scheduled in time order.
func (h *hubbleGen) run(w *bufio.Writer) error {
	for h.stats.Records < h.cfg.Records {
		for len(h.queue) > 0 && h.queue[0].t <= h.now && h.stats.Records < h.cfg.Records {
			ev := heap.Pop(&h.queue).(event)
			h.buf = h.render(h.buf[:0], &ev)
			h.buf = append(h.buf, '\n')
			if _, err := w.Write(h.buf); err != nil {
				return err
			}
			h.count(&ev)
		}
		if h.stats.Records >= h.cfg.Records {
			break
		}
		if len(h.t.mix) == 0 {
			return fmt.Errorf("a cluster of %d pods has no traffic to record", h.cfg.Cluster.Pods)
		}
		h.start()
		h.now += int64(minGap) + int64(h.rng.ExpFloat64()*float64(meanGap))
	}
	return nil
}

// schedule adds a record of connection c at time t.
func (h *hubbleGen) schedule(t int64, c *conn, r record) {
	h.seq++
	heap.Push(&h.queue, event{t: t, seq: h.seq, c: c, r: r})
}

// ephemeral is the next source port of an address, as Linux hands them
// out: sequentially in 32768-60999 from a random first one.
func (h *hubbleGen) ephemeral(a netip.Addr) uint16 {
	p, ok := h.ports[a]
	switch {
	case !ok:
		p = 32768 + uint16(h.rng.IntN(28232))
	case p >= 60999:
		p = 32768
	default:
		p++
	}
	h.ports[a] = p
	return p
}

// count counts a written record as a reader of connections should.
func (h *hubbleGen) count(ev *event) {
	st := &h.stats
	st.Records++
	if ev.c == nil {
		st.NonFlow[ev.r.wrapper]++
		st.LostEvents += ev.r.lost
		return
	}
	st.Flows++
	c, r := ev.c, &ev.r
	node := c.node(r.side)
	for _, e := range []*end{c.src, c.dst} {
		if e.pod != nil && e.pod.node == node {
			e.pod.named = true // the record names its workload
		}
	}
	switch {
	case c.proto == protoICMP:
		st.Unjudged++
		return
	case r.kind == recSock || r.reply:
		st.NotInitiating++
		return
	case r.kind == recPolicy:
	case c.proto == protoTCP && r.flags&(flagSYN|flagACK) != flagSYN:
		st.NotInitiating++
		return
	}
	v := verdictForwarded
	if r.kind == recDrop || r.dropped {
		v = verdictDenied
	}
	switch {
	case !c.counted:
		c.counted = true
		st.Connections++
		h.counted[connKey{src: c.src.index, dst: c.dst.index, proto: c.proto, port: c.dport}] = struct{}{}
		h.tally(c.worst, v)
		c.worst = v
	default:
		st.Duplicates++
		if v > c.worst {
			h.tally(c.worst, v)
			c.worst = v
		}
	}
}

// tally moves a connection from the count of one verdict to another's.
func (h *hubbleGen) tally(from, to verdict) {
	h.add(from, -1)
	h.add(to, 1)
}

func (h *hubbleGen) add(v verdict, d int) {
	switch v {
	case verdictForwarded:
		h.stats.Forwarded += d
	case verdictDenied:
		h.stats.Denied += d
	}
}

// result counts the distinct connections by their ends' keys.
func (h *hubbleGen) result() HubbleStats {
	type key struct {
		src, dst string
		proto    proto
		port     uint16
	}
	distinct := map[key]struct{}{}
	for k := range h.counted {
		distinct[key{src: h.t.key(k.src), dst: h.t.key(k.dst), proto: k.proto, port: k.port}] = struct{}{}
	}
	h.stats.Distinct = len(distinct)
	return h.stats
}

// event is a record due at time t (seq orders records of one time as
// they were scheduled).
type event struct {
	t   int64
	seq uint64
	c   *conn // nil for a record without a flow
	r   record
}

type events []event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(event)) }
func (q *events) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
