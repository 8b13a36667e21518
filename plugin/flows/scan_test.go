package flows

import (
	"math/bits"
	"strconv"
	"strings"
	"testing"
)

// refRawStr is rawStr one byte at a time, as it was before it looked at
// eight: what the word-at-a-time scan must agree with.
func refRawStr(b []byte) (raw string, esc bool, end int, why string) {
	for j := 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return string(b[1:j]), esc, j + 1, ""
		case c == '\\':
			esc = true
			j++
		case c < 0x20:
			return "", false, j, "invalid JSON: control character in a string at column " + strconv.Itoa(j+1)
		}
	}
	return "", false, len(b), errEnd
}

// TestRawStrStops puts each byte that ends or interrupts a string (a
// quote, an escape, a control character, none) at every position of the
// first 24 bytes, with bytes that are not special around it (UTF-8 too),
// and compares rawStr with the byte-at-a-time reference.
func TestRawStrStops(t *testing.T) {
	stops := []string{`"`, `\"`, `\\`, `\n"`, `\u00e9"`, "\x00", "\x1f", "\t", "", "\x7f\"", "\xc3\xa9\""}
	fills := []string{"a", "é", "\x20", "~", "\xff", "!#"}
	for _, stop := range stops {
		for _, fill := range fills {
			for n := range 24 {
				for _, tail := range []string{"", `xyz"`, `"` + strings.Repeat("q", 9), strings.Repeat("w", 17) + `"`} {
					rec := []byte(`"` + strings.Repeat(fill, n) + stop + tail)
					var s scanner
					s.reset(rec)
					raw, esc, ok := s.rawStr()
					wantRaw, wantEsc, wantEnd, wantWhy := refRawStr(rec)
					if string(raw) != wantRaw || esc != wantEsc || ok != (wantWhy == "") || s.i != wantEnd || s.why != wantWhy {
						t.Fatalf("%q: got %q %v %v at %d (%q), want %q %v at %d (%q)", rec, raw, esc, ok, s.i, s.why, wantRaw, wantEsc, wantEnd, wantWhy)
					}
				}
			}
		}
	}
}

// TestSpecials checks the word test on each byte value at each of the
// eight places, among bytes that are not special, and with a special
// byte after it: the first mark is the byte's if it is special, else
// the later one's.
func TestSpecials(t *testing.T) {
	isSpecial := func(c int) bool { return c == '"' || c == '\\' || c < 0x20 }
	for c := range 256 {
		for pos := range 8 {
			for _, later := range []int{-1, '"', '\\', 0x00, 0x1f} {
				var w uint64
				for k := range 8 {
					b := uint64('a')
					switch {
					case k == pos:
						b = uint64(c)
					case k == 7 && later >= 0 && pos < 7:
						b = uint64(later)
					}
					w |= b << (8 * k)
				}
				first := -1
				switch {
				case isSpecial(c):
					first = pos
				case later >= 0 && pos < 7:
					first = 7
				}
				m := specials(w)
				got := -1
				if m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != first {
					t.Errorf("byte %#x at %d, then %#x: first mark at %d, want %d", c, pos, later, got, first)
				}
			}
		}
	}
}
