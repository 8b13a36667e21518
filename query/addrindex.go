package query

import (
	"cmp"
	"net/netip"
	"slices"
)

// addrIndex answers, for one address, which is the first of a list of
// address sets that holds it: the first ipBlock peer of a rule (CIDR minus
// excepts), or the first networks peer of a cluster policy rule. A rule may
// list tens of thousands of them; the index answers in O(log n) where a
// walk over the peers costs O(n) per address.
//
// Every set is made of prefixes, and any two prefixes are nested or
// disjoint, so the prefixes form a tree: which sets hold an address only
// depends on the deepest prefix that contains it. The index cuts the
// address space into segments, each the part of one prefix outside its
// children, and records per segment the first set that holds it.
type addrIndex struct {
	segs []addrSeg // sorted by address, disjoint
}

// addrSeg is an inclusive range of addresses whose first holder is set
// (the index of the set in the list).
type addrSeg struct {
	from, to netip.Addr
	set      int
}

// addrEntry is one prefix of set number set: added to the set, or taken
// out of it (an ipBlock's except).
type addrEntry struct {
	prefix netip.Prefix
	set    int
	except bool
}

// newAddrIndex builds the index of sets numbered 0..n-1 from their
// prefixes, in O(m log m) for m prefixes. Prefixes must be masked.
func newAddrIndex(n int, entries []addrEntry) *addrIndex {
	slices.SortFunc(entries, func(a, b addrEntry) int {
		return cmp.Or(a.prefix.Addr().Compare(b.prefix.Addr()), cmp.Compare(a.prefix.Bits(), b.prefix.Bits()))
	})
	x := &addrIndex{}
	held := newHolders(n)
	// frame is an open prefix of the walk down the tree: its entries, the
	// first set holding it, and where its uncovered part resumes.
	type frame struct {
		prefix  netip.Prefix
		entries []addrEntry
		first   int
		cursor  netip.Addr // invalid once the prefix is covered to its end
	}
	var stack []frame
	emit := func(from, to netip.Addr, set int) {
		if set < 0 {
			return
		}
		if k := len(x.segs); k > 0 && x.segs[k-1].set == set && x.segs[k-1].to.Next() == from {
			x.segs[k-1].to = to
			return
		}
		x.segs = append(x.segs, addrSeg{from: from, to: to, set: set})
	}
	pop := func() {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if last, _ := lastAddr(f.prefix); f.cursor.IsValid() {
			emit(f.cursor, last, f.first)
		}
		for _, e := range f.entries {
			held.add(e.set, e.except) // undo
		}
		if len(stack) > 0 {
			parent := &stack[len(stack)-1]
			last, _ := lastAddr(f.prefix)
			parent.cursor = last.Next()
			if parent.cursor.IsValid() && !parent.prefix.Contains(parent.cursor) {
				parent.cursor = netip.Addr{}
			}
		}
	}
	for i := 0; i < len(entries); {
		p := entries[i].prefix
		j := i
		for j < len(entries) && entries[j].prefix == p {
			j++
		}
		for len(stack) > 0 && !(stack[len(stack)-1].prefix.Bits() < p.Bits() && stack[len(stack)-1].prefix.Contains(p.Addr())) {
			pop()
		}
		if len(stack) > 0 {
			parent := &stack[len(stack)-1]
			if parent.cursor.IsValid() && parent.cursor.Less(p.Addr()) {
				emit(parent.cursor, p.Addr().Prev(), parent.first)
			}
		}
		for _, e := range entries[i:j] {
			held.add(e.set, !e.except)
		}
		stack = append(stack, frame{prefix: p, entries: entries[i:j], first: held.first(), cursor: p.Addr()})
		i = j
	}
	for len(stack) > 0 {
		pop()
	}
	return x
}

// first is the number of the first set holding a, or -1.
func (x *addrIndex) first(a netip.Addr) int {
	if x == nil || !a.IsValid() || a.Zone() != "" {
		return -1 // a zoned address is in no prefix
	}
	i, _ := slices.BinarySearchFunc(x.segs, a, func(s addrSeg, a netip.Addr) int { return s.to.Compare(a) })
	if i < len(x.segs) && x.segs[i].from.Compare(a) <= 0 {
		return x.segs[i].set
	}
	return -1
}

// holders counts, per set, how many of its prefixes on the current path
// add it minus how many take it out, and finds the first set that is in.
// It is a tree of counts of sets that are in, over the set numbers.
type holders struct {
	count []int32 // per set
	in    []int32 // segment tree: sets in, per node; leaves from size
	size  int
}

func newHolders(n int) *holders {
	size := 1
	for size < n {
		size *= 2
	}
	return &holders{count: make([]int32, n), in: make([]int32, 2*size), size: size}
}

// add counts one prefix of set i: adding it (in) or taking it out.
func (h *holders) add(i int, in bool) {
	was := h.count[i] > 0
	if in {
		h.count[i]++
	} else {
		h.count[i]--
	}
	if now := h.count[i] > 0; now != was {
		d := int32(1)
		if !now {
			d = -1
		}
		for k := h.size + i; k >= 1; k /= 2 {
			h.in[k] += d
		}
	}
}

// first is the lowest set number that is in, or -1.
func (h *holders) first() int {
	if h.in[1] == 0 {
		return -1
	}
	k := 1
	for k < h.size {
		if h.in[2*k] > 0 {
			k = 2 * k
		} else {
			k = 2*k + 1
		}
	}
	return k - h.size
}
