// Package flows reads recorded flows for replay: files of Hubble flows
// (hubble observe -o json or -o jsonpb, Hubble's flow exporter) or of the
// generic format (CSV or JSON lines: README.md), and returns the distinct
// connections they saw, aggregated by the ends' keys, protocol and port,
// for query's replay to judge. It knows the formats; the engine knows
// nothing of them.
//
// Hubble records a connection many times: each packet the datapath traces,
// at each end's node. The reader counts only the records that start a
// connection (a TCP SYN without ACK, a UDP or SCTP packet that is not a
// reply, a policy-verdict event), once per connection however many ends
// and observation points recorded it, with the most severe verdict any of
// them had. Decoding runs on every core over batches of lines, in order;
// memory is bounded by the distinct connections, not by the records.
//
// The decoder reads a record in place and skips what it does not use, its
// strings eight bytes at a time (scan.go). BenchmarkReadHubble measures it
// on recordings gen.Hubble writes of a 2,000-pod cluster's traffic, whose
// counts TestReadGenerated checks against the generator's; to measure a
// whole replay:
//
//	go run ./test/gencluster -pods 2000 -out /tmp/c2000 -hubble 1000000
//	go build -o /tmp/knp ./cmd/kubectl-netpol
//	/usr/bin/time -v /tmp/knp replay /tmp/c2000.hubble.json -f /tmp/c2000 >/dev/null
package flows

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Options tunes Read.
type Options struct {
	// SkipBadRecords counts bad records (in Stats.Bad) instead of failing
	// on the first.
	SkipBadRecords bool
}

// Stats says what Read read, for the command to report: how many records
// were not connections and why, so that a replay of few connections can
// say where the rest went.
type Stats struct {
	Records int // non-empty lines (rows of the generic CSV, its header not counted)
	Flows   int // flow records (rows of the generic format), bad ones not counted
	// NonFlow counts Hubble's records without a flow by kind: node_status,
	// lost_events, agent_event, debug_event, or "other".
	NonFlow map[string]int
	// LostEvents is the sum of the events lost_events records say Hubble
	// lost: connections replay cannot see.
	LostEvents int
	// NotInitiating counts flow records that do not start a connection:
	// replies, TCP without SYN or with ACK, socket-LB events.
	NotInitiating int
	// Unjudged counts flow records of what replay does not judge: ICMP,
	// IGMP, VRRP, or no transport at all.
	Unjudged int
	// Duplicates counts initiating records of a connection already
	// counted: seen at its other end, or again at the same one.
	Duplicates int
	// Bad counts bad records skipped with SkipBadRecords; FirstBad is the
	// first, "FILE:LINE: why".
	Bad      int
	FirstBad string
	// Connections is the connections counted: the sum of the returned
	// connections' Count.
	Connections int
}

// BadRecordError is a record Read cannot use: invalid JSON or CSV, a
// truncated last line, a connection's record without an address or port,
// an invalid value.
type BadRecordError struct {
	Where string // FILE:LINE
	Why   string
}

func (e *BadRecordError) Error() string { return e.Where + ": " + e.Why }

// Read reads every path in order (a file; a directory: its regular files
// in name order, without dot files; "-": stdin), each in the format its
// first non-empty line shows, gzip-compressed or not, and returns the
// distinct connections sorted by source key, destination key, protocol
// and port (query.ObservedEnd.Key).
func Read(paths []string, stdin io.Reader, opts Options) ([]query.ObservedConnection, Stats, error) {
	srcs, err := expand(paths)
	if err != nil {
		return nil, Stats{}, err
	}
	a := newAggregator(opts)
	for _, src := range srcs {
		if err := a.readFile(src, stdin); err != nil {
			return nil, a.stats, err
		}
	}
	return a.result(), a.stats, nil
}

// source is a file to read.
type source struct {
	path, name string
	stdin      bool
}

func expand(paths []string) ([]source, error) {
	var out []source
	for _, p := range paths {
		if p == "-" {
			out = append(out, source{name: "<stdin>", stdin: true})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, source{path: p, name: p})
			continue
		}
		entries, err := os.ReadDir(p) // sorted by name
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			full := filepath.Join(p, e.Name())
			fi, err := os.Stat(full)
			if err != nil {
				return nil, err
			}
			if fi.Mode().IsRegular() {
				out = append(out, source{path: full, name: full})
			}
		}
	}
	return out, nil
}

func (a *aggregator) readFile(src source, stdin io.Reader) error {
	r := stdin
	if !src.stdin {
		f, err := os.Open(src.path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	if r == nil {
		return fmt.Errorf("read %s: no standard input", src.name)
	}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read %s: %w", src.name, err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	ch := &chunker{r: r, line: 1}
	b := &batch{}
	var err error
	b.buf, b.data, b.line, b.noEOL, err = ch.fill(b.buf)
	for ; err == nil; b.buf, b.data, b.line, b.noEOL, err = ch.fill(b.buf) {
		line, ok := firstLine(b.data)
		if !ok {
			continue // blank lines only
		}
		switch detect(line) {
		case formatHubble:
			return a.hubble(src.name, ch, b)
		case formatGenericJSON:
			return a.genericJSON(src.name, io.MultiReader(bytes.NewReader(b.data), ch.rest()), b.line)
		default:
			return a.genericCSV(src.name, io.MultiReader(bytes.NewReader(b.data), ch.rest()), b.line)
		}
	}
	if err == io.EOF {
		return nil
	}
	return fmt.Errorf("read %s: %w", src.name, err)
}

// firstLine returns the first non-blank line of data.
func firstLine(data []byte) ([]byte, bool) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if !blank(line) {
			return line, true
		}
	}
	return nil, false
}

func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

type format int

const (
	formatHubble format = iota
	formatGenericJSON
	formatGenericCSV
)

// detect tells a file's format from its first non-empty line: JSON with a
// src or dst member is the generic format's, other JSON Hubble's, and
// anything else a CSV header.
func detect(line []byte) format {
	var s scanner
	s.reset(line)
	if s.peek() != '{' {
		return formatGenericCSV
	}
	s.enter('{')
	for n := 0; s.next('}', &n); {
		k, ok := s.key()
		if !ok {
			break
		}
		if string(k) == "src" || string(k) == "dst" {
			return formatGenericJSON
		}
		if !s.skip() {
			break
		}
	}
	return formatHubble
}

// chunker cuts its input into chunks of whole lines.
type chunker struct {
	r     io.Reader
	carry []byte // the start of the line after the last chunk
	line  int    // the next chunk's first line number
	eof   bool
}

// chunkSize is the size of the chunks the Hubble decoder's workers take.
const chunkSize = 1 << 20

// fill reads the next chunk into buf (grown as needed and returned): whole
// lines, the last possibly without its newline at the end of the input
// (noEOL), and the number of its first line; io.EOF when nothing is left.
// It returns as soon as it has a whole line, not waiting for a full
// chunk on a pipe.
func (c *chunker) fill(buf []byte) (_ []byte, data []byte, line int, noEOL bool, err error) {
	if cap(buf) < chunkSize {
		buf = make([]byte, chunkSize)
	}
	buf = buf[:cap(buf)]
	n := copy(buf, c.carry)
	if n < len(c.carry) {
		buf = append(buf[:n], c.carry[n:]...)
		n = len(buf)
		buf = buf[:cap(buf)]
	}
	c.carry = c.carry[:0]
	scanned := 0 // buf[:scanned] has no newline
	for !c.eof {
		if i := bytes.IndexByte(buf[scanned:n], '\n'); i >= 0 && n > 0 {
			break
		}
		scanned = n
		if n == len(buf) {
			buf = slices.Grow(buf, len(buf))[:2*len(buf)]
		}
		m, err := c.r.Read(buf[n:])
		n += m
		if err == io.EOF {
			c.eof = true
		} else if err != nil {
			return buf, nil, 0, false, err
		}
	}
	if n == 0 {
		return buf, nil, 0, false, io.EOF
	}
	end := n
	if !c.eof {
		end = bytes.LastIndexByte(buf[:n], '\n') + 1
		c.carry = append(c.carry, buf[end:n]...)
	} else {
		noEOL = buf[n-1] != '\n'
	}
	data = buf[:end]
	line = c.line
	c.line += bytes.Count(data, []byte{'\n'})
	if noEOL {
		c.line++
	}
	return buf, data, line, noEOL, nil
}

// rest is the input after the last chunk.
func (c *chunker) rest() io.Reader {
	if c.eof {
		return bytes.NewReader(c.carry)
	}
	return io.MultiReader(bytes.NewReader(c.carry), c.r)
}

// batch is a chunk of a Hubble file and its decoded records.
type batch struct {
	seq   int
	buf   []byte
	data  []byte
	line  int
	noEOL bool
	err   error
	recs  []rec
}

// hubble reads a Hubble file from its first chunk on: a reader goroutine
// cuts it into chunks, GOMAXPROCS workers decode them, and the
// aggregator takes them in order. At most a few chunks are in flight.
func (a *aggregator) hubble(name string, ch *chunker, first *batch) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	inFlight := 2*workers + 2
	free := make(chan *batch, inFlight)
	for range inFlight - 1 {
		free <- &batch{}
	}
	work := make(chan *batch, inFlight)
	done := make(chan *batch, inFlight)
	quit := make(chan struct{})
	defer close(quit)

	work <- first
	go func() {
		defer close(work)
		for seq := 1; ; seq++ {
			var b *batch
			select {
			case b = <-free:
			case <-quit:
				return
			}
			var err error
			b.buf, b.data, b.line, b.noEOL, err = ch.fill(b.buf)
			if err == io.EOF {
				return
			}
			b.seq, b.err = seq, err
			select {
			case work <- b:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var s scanner
			for b := range work {
				if b.err == nil {
					decodeBatch(&s, b)
				}
				select {
				case done <- b:
				case <-quit:
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	pending := map[int]*batch{}
	next := 0
	for b := range done {
		pending[b.seq] = b
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if b.err != nil {
				return fmt.Errorf("read %s: %w", name, b.err)
			}
			if err := a.batch(b, name); err != nil {
				return err
			}
			free <- b
		}
	}
	return nil
}

// decodeBatch decodes a chunk's lines.
func decodeBatch(s *scanner, b *batch) {
	b.recs = b.recs[:0]
	data, line := b.data, b.line
	for len(data) > 0 {
		l := data
		last := true
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data, last = data[:i], data[i+1:], false
		} else {
			data = nil
		}
		if !blank(l) {
			b.recs = append(b.recs, rec{line: line})
			r := &b.recs[len(b.recs)-1]
			decodeHubble(s, l, r)
			if r.kind == recBad && r.why == errEnd && last && b.noEOL {
				r.why = "truncated record: the input ends inside it"
			}
		}
		line++
	}
}

// batch counts a decoded chunk's records.
func (a *aggregator) batch(b *batch, name string) error {
	for i := range b.recs {
		r := &b.recs[i]
		a.stats.Records++
		switch r.kind {
		case recFlow:
			if err := a.flow(r, name); err != nil {
				return err
			}
		case recNonFlow:
			a.stats.NonFlow[r.nonFlow]++
			a.stats.LostEvents += int(min(r.lost, 1<<62))
		case recBad:
			if err := a.bad(name, r.line, r.why); err != nil {
				return err
			}
		}
	}
	return nil
}
