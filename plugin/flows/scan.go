package flows

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads one JSON record in place: the reader decodes only the
// fields it needs and skips the rest (validating them), without building
// values for what it skips. Strings come back as slices of the record;
// only a string with escapes is copied.
type scanner struct {
	b   []byte
	i   int
	why string // what went wrong, "" while all is well
}

// errEnd is why a record that stops early fails: a truncated line.
const errEnd = "invalid JSON: the record ends early"

func (s *scanner) reset(b []byte) { s.b, s.i, s.why = b, 0, "" }

func (s *scanner) ok() bool { return s.why == "" }

// fail records the first error and returns false.
func (s *scanner) fail(why string) bool {
	if s.why == "" {
		s.why = why
	}
	return false
}

func (s *scanner) unexpected() bool {
	if s.i >= len(s.b) {
		return s.fail(errEnd)
	}
	return s.fail("invalid JSON: unexpected " + strconv.QuoteRune(rune(s.b[s.i])) + " at column " + strconv.Itoa(s.i+1))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i] // compact JSON: no white space to skip
	}
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// enter consumes the opening bracket of an object ('{') or array ('[').
func (s *scanner) enter(open byte) bool {
	if s.peek() != open {
		return s.unexpected()
	}
	s.i++
	return true
}

// next is called before each member of an object or element of an array
// entered with enter: it consumes the separating comma, or the closing
// bracket and then returns false. n counts the members so far.
func (s *scanner) next(close byte, n *int) bool {
	c := s.peek()
	if c == close {
		s.i++
		return false
	}
	if *n > 0 {
		if c != ',' {
			return s.unexpected()
		}
		s.i++
	}
	*n++
	if *n > 1 && s.peek() == close {
		return s.unexpected() // a trailing comma
	}
	return s.ok()
}

// key reads a member's name and the colon after it.
func (s *scanner) key() ([]byte, bool) {
	k, ok := s.str()
	if !ok {
		return nil, false
	}
	if s.peek() != ':' {
		return nil, s.unexpected()
	}
	s.i++
	return k, true
}

// rawStr reads a string and returns its bytes between the quotes, and
// whether it has escapes. Most of a Hubble record is strings (labels
// above all): it looks at eight bytes at a time for the quote, a
// backslash or a control character, and goes straight to the first.
func (s *scanner) rawStr() ([]byte, bool, bool) {
	if s.peek() != '"' {
		return nil, false, s.unexpected()
	}
	b := s.b
	start := s.i + 1
	esc := false
	for j := start; j < len(b); {
		if j+8 <= len(b) {
			m := specials(binary.LittleEndian.Uint64(b[j:]))
			if m == 0 {
				j += 8
				continue
			}
			j += bits.TrailingZeros64(m) >> 3
		}
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			return b[start:j], esc, true
		case c == '\\':
			esc = true
			j += 2
		case c < 0x20:
			s.i = j
			return nil, false, s.fail("invalid JSON: control character in a string at column " + strconv.Itoa(j+1))
		default:
			j++
		}
	}
	s.i = len(b)
	return nil, false, s.fail(errEnd)
}

// specials marks (with its high bit) each of eight bytes, the first in
// the lowest, that may be a quote, a backslash or a control character
// (below 0x20): the classic test for a zero byte, (x - 0x01..) &^ x &
// 0x80.., on the word XORed with '"' and with '\\', and the like test for
// bytes below 0x20. A borrow may mark bytes after a marked one, never one
// before: the lowest mark is always one of them.
func specials(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ ('"' * ones)
	bs := w ^ ('\\' * ones)
	return ((q-ones)&^q | (bs-ones)&^bs | (w-0x20*ones)&^w) & highs
}

// str reads a string, unescaped.
func (s *scanner) str() ([]byte, bool) {
	raw, esc, ok := s.rawStr()
	if !ok || !esc {
		return raw, ok
	}
	out, ok := unescape(raw)
	if !ok {
		return nil, s.fail("invalid JSON: invalid escape in a string")
	}
	return out, true
}

// unescape decodes the escapes of a JSON string's contents.
func unescape(raw []byte) ([]byte, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				return nil, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				pair := utf8.RuneError
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if lo, ok := hex4(raw[i+3:]); ok {
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							pair = d
							i += 6
						}
					}
				}
				r = pair
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false
		}
	}
	return out, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skip reads any value and checks that it is valid JSON.
func (s *scanner) skip() bool {
	switch c := s.peek(); {
	case c == '{':
		s.i++
		for n := 0; s.next('}', &n); {
			if _, ok := s.key(); !ok {
				return false
			}
			if !s.skip() {
				return false
			}
		}
	case c == '[':
		s.i++
		for n := 0; s.next(']', &n); {
			if !s.skip() {
				return false
			}
		}
	case c == '"':
		_, _, ok := s.rawStr()
		return ok
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.unexpected()
	}
	return s.ok()
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) {
		s.i = len(s.b)
		return s.fail(errEnd)
	}
	if string(s.b[s.i:s.i+len(word)]) != word {
		return s.unexpected()
	}
	s.i += len(word)
	return true
}

// number reads a JSON number (any: it is skipped).
func (s *scanner) number() bool {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits {
		return s.unexpected()
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		frac := s.i
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
		}
		if s.i == frac {
			return s.unexpected()
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		exp := s.i
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
		}
		if s.i == exp {
			return s.unexpected()
		}
	}
	if s.b[digits] == '0' && s.i > digits+1 && '0' <= s.b[digits+1] && s.b[digits+1] <= '9' {
		s.i = start
		return s.fail("invalid JSON: invalid number at column " + strconv.Itoa(start+1))
	}
	return true
}

// uint reads an unsigned integer: a JSON number, or a string of digits as
// protojson writes 64-bit integers (and accepts for any integer).
func (s *scanner) uint(max uint64) (uint64, bool) {
	c := s.peek()
	if c == '"' {
		raw, _, ok := s.rawStr()
		if !ok {
			return 0, false
		}
		v, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil || v > max {
			return 0, s.fail("invalid integer " + strconv.Quote(string(raw)))
		}
		return v, true
	}
	start := s.i
	if !s.number() {
		return 0, false
	}
	var v uint64
	for _, d := range s.b[start:s.i] {
		if d < '0' || d > '9' || v > (max-uint64(d-'0'))/10 {
			return 0, s.fail("invalid integer " + string(s.b[start:s.i]))
		}
		v = v*10 + uint64(d-'0')
	}
	return v, true
}

// int reads a signed 32-bit integer (an enum's number, an event type).
func (s *scanner) int32() (int32, bool) {
	neg := false
	if s.peek() == '-' {
		neg = true
		s.i++
		if s.i >= len(s.b) || s.b[s.i] < '0' || s.b[s.i] > '9' {
			return 0, s.unexpected()
		}
	}
	v, ok := s.uint(1 << 31)
	if !ok {
		return 0, false
	}
	if neg {
		return int32(-int64(v)), true
	}
	if v > 1<<31-1 {
		return 0, s.fail("invalid integer " + strconv.FormatUint(v, 10))
	}
	return int32(v), true
}

// bool reads true, false or null (null: set is false).
func (s *scanner) bool() (v, set, ok bool) {
	switch s.peek() {
	case 't':
		return true, true, s.literal("true")
	case 'f':
		return false, true, s.literal("false")
	case 'n':
		return false, false, s.literal("null")
	}
	return false, false, s.unexpected()
}

// null consumes a null if one is next (protojson's unset value) and
// reports whether it did; an invalid literal there fails the scanner.
func (s *scanner) null() bool {
	if s.peek() != 'n' {
		return false
	}
	s.literal("null")
	return true
}
