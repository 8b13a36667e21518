package load

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// yamlToJSON converts one YAML document to JSON exactly as
// sigs.k8s.io/yaml.YAMLToJSON does, or returns ok=false when the document
// uses anything outside the supported subset.
//
// It is a fast converter for the YAML that Kubernetes manifests are
// written in: what kubectl get -o yaml prints, and what people write by
// hand in the same style. It exists because sigs.k8s.io/yaml (go-yaml v2
// into interface{} maps, then encoding/json) took two thirds of the time
// of reading a large cluster from manifests, and is about twenty times
// slower.
//
// The output is byte for byte what sigs.k8s.io/yaml.YAMLToJSON produces:
// keys sorted, strings escaped as encoding/json escapes them. Documents
// outside the subset are refused, and the caller then takes the
// sigs.k8s.io/yaml path, so correctness never depends on the subset: a
// refusal only costs time. The subset is:
//
//   - block mappings and block sequences, indented with spaces, including
//     sequences at the indentation of the key they are the value of
//     ("key:\n- a") and mappings that start on a "- " line;
//   - flow sequences and flow mappings ("[a, b]", "{a: b, c: [d]}") that
//     end on the line they start on;
//   - scalars on one line: plain, single-quoted (a doubled quote is a
//     quote) and double-quoted with the escapes \\ \" \0 \a \b \t \n \v
//     \f \r \e \xXX \uXXXX \UXXXXXXXX;
//   - comments, blank lines, empty values (null), "---" before the content
//     and "..." after it.
//
// Plain scalars resolve as go-yaml v2 (YAML 1.1) resolves them, and the
// subset keeps only the unambiguous cases: null and ~, true and false,
// decimal integers that fit in an int64 written without a plus sign or
// leading zeros, and strings that go-yaml's resolve leaves strings.
// Everything else is refused: other spellings of booleans and null (yes,
// On, NULL), floats, hexadecimal, octal and binary integers, timestamps,
// keys that are not strings, "<<" merge keys, anchors, aliases, tags, "?"
// complex keys, "|" and ">" block scalars, scalars and flow collections
// spanning lines, duplicate keys (go-yaml v2 keeps the last one), tabs,
// carriage returns, control characters, other document markers,
// directives, and anything else unexpected.
func yamlToJSON(doc []byte) (out []byte, ok bool) {
	if !plainText(doc) {
		return nil, false
	}
	p := yparser{doc: doc, end: len(doc)}
	if !p.markers() {
		return nil, false
	}
	p.load()
	p.skip()
	if p.done() {
		return []byte("null"), true
	}
	p.out = make([]byte, 0, len(doc))
	if !p.node(indentOf(p.line), -1) {
		return nil, false
	}
	p.skip()
	if !p.done() {
		return nil, false
	}
	return p.out, true
}

// plainText reports whether doc is free of what the subset leaves to
// go-yaml: tabs, carriage returns, other control characters, invalid
// UTF-8, byte order marks and the YAML 1.1 line breaks NEL, LS and PS.
func plainText(doc []byte) bool {
	for i := 0; i < len(doc); {
		c := doc[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(doc[i:])
		if (r == utf8.RuneError && size == 1) || r < 0xa0 || r == 0xfeff || r == 0x2028 || r == 0x2029 || r == 0xfffe || r == 0xffff {
			return false
		}
		i += size
	}
	return true
}

// yparser reads the lines of one document and writes its JSON to out as
// it goes. Block nodes start at the beginning of the current line, or for
// a mapping in a "- " item, at a column of it.
type yparser struct {
	doc   []byte
	pos   int    // where the current line starts
	end   int    // where the content ends: at a "..." line, or len(doc)
	line  []byte // the current line, without its newline
	out   []byte
	ents  []entry // the entries of the mappings being written
	depth int     // of the block collections being read
}

// entry is a "key":value of a mapping written to out[start:end].
type entry struct {
	key        []byte
	start, end int
}

// maxDepth bounds the nesting of collections, well below go-yaml's 10,000.
const maxDepth = 1000

func (p *yparser) done() bool { return p.pos >= p.end }

// load makes the line at pos current.
func (p *yparser) load() {
	if p.done() {
		p.line = nil
		return
	}
	e := p.end
	if i := bytes.IndexByte(p.doc[p.pos:e], '\n'); i >= 0 {
		e = p.pos + i
	}
	p.line = p.doc[p.pos:e]
}

// next moves to the next line.
func (p *yparser) next() {
	p.pos += len(p.line) + 1
	p.load()
}

// skip moves past blank and comment lines.
func (p *yparser) skip() {
	for !p.done() && blankLine(p.line) {
		p.next()
	}
}

// markers moves past a "---" before the content and ends the content at a
// "..." after it, and refuses any other document marker or directive.
func (p *yparser) markers() bool {
	content := false
	for pos := 0; pos < len(p.doc); {
		l := p.doc[pos:]
		if i := bytes.IndexByte(l, '\n'); i >= 0 {
			l = l[:i]
		}
		switch {
		case bytes.HasPrefix(l, []byte("---")):
			// go-yaml takes "---" followed by a space or the end of the
			// line as a marker; the subset refuses the other lines that
			// start with it too.
			if content || !blankLine(l[3:]) {
				return false
			}
			p.pos = pos + len(l) + 1
		case bytes.HasPrefix(l, []byte("...")):
			if !content || !blankLine(l[3:]) {
				return false
			}
			for rest := pos + len(l) + 1; rest < len(p.doc); {
				r := p.doc[rest:]
				if i := bytes.IndexByte(r, '\n'); i >= 0 {
					r = r[:i]
				}
				if !blankLine(r) {
					return false
				}
				rest += len(r) + 1
			}
			p.end = pos
			return true
		case len(l) > 0 && l[0] == '%':
			return false
		case !blankLine(l):
			content = true
		}
		pos += len(l) + 1
	}
	return true
}

// blankLine reports whether l holds only spaces and perhaps a comment.
func blankLine(l []byte) bool {
	i := skipSpaces(l, 0)
	return i == len(l) || l[i] == '#'
}

func indentOf(l []byte) int { return skipSpaces(l, 0) }

func skipSpaces(l []byte, i int) int {
	for i < len(l) && l[i] == ' ' {
		i++
	}
	return i
}

// seqEntry reports whether a "- " sequence entry starts at column col.
func seqEntry(l []byte, col int) bool {
	return col < len(l) && l[col] == '-' && (col+1 == len(l) || l[col+1] == ' ')
}

// keyColon reports whether a ':' that makes what is before it a mapping
// key is at i.
func keyColon(l []byte, i int) bool {
	return i < len(l) && l[i] == ':' && (i+1 == len(l) || l[i+1] == ' ')
}

// lineEnd reports whether the rest of l from i (just after a value ending
// at end) is empty or a comment separated from the value by a space.
func lineEnd(l []byte, end int) bool {
	i := skipSpaces(l, end)
	return i == len(l) || (l[i] == '#' && i > end)
}

// after moves to the next content line once a value that ends its line
// has been read, and refuses a next line indented deeper than parent: it
// would continue the value.
func (p *yparser) after(parent int) bool {
	p.next()
	p.skip()
	return p.done() || indentOf(p.line) <= parent
}

// node reads the block node that starts the current line at column col,
// in a block indented by parent (-1 for the document).
func (p *yparser) node(col, parent int) bool {
	l := p.line
	switch {
	case seqEntry(l, col):
		return p.sequence(col)
	case l[col] == '[' || l[col] == '{':
		end, ok := p.flow(l, col, 1)
		return ok && lineEnd(l, end) && p.after(parent)
	}
	s, end, ok := scalarAt(l, col)
	if !ok {
		return false
	}
	if keyColon(l, skipSpaces(l, end)) {
		return p.mapping(col)
	}
	p.write(s)
	return lineEnd(l, end) && p.after(parent)
}

// mapping reads a block mapping whose first key is on the current line
// at column col and whose other keys start lines indented by col.
func (p *yparser) mapping(col int) bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	defer func() { p.depth-- }()
	start, base := len(p.out), len(p.ents)
	p.out = append(p.out, '{')
	for {
		k, vcol, ok := key(p.line, col)
		if !ok {
			return false
		}
		if len(p.ents) > base {
			p.out = append(p.out, ',')
		}
		e := entry{key: k, start: len(p.out)}
		p.out = appendJSONString(p.out, k)
		p.out = append(p.out, ':')
		if !p.value(col, vcol) {
			return false
		}
		e.end = len(p.out)
		p.ents = append(p.ents, e)
		if p.done() {
			break
		}
		if ind := indentOf(p.line); ind < col {
			break
		} else if ind > col || seqEntry(p.line, col) {
			return false
		}
	}
	return p.closeMapping(start, base)
}

// closeMapping ends the mapping written from out[start] whose entries are
// ents[base:]: encoding/json writes keys sorted, so entries out of order
// are sorted (most manifests have their keys sorted already). Duplicate
// keys are refused.
func (p *yparser) closeMapping(start, base int) bool {
	ents := p.ents[base:]
	sorted := true
	for i := 1; i < len(ents) && sorted; i++ {
		sorted = bytes.Compare(ents[i-1].key, ents[i].key) < 0
	}
	if !sorted {
		slices.SortFunc(ents, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
		for i := 1; i < len(ents); i++ {
			if bytes.Equal(ents[i-1].key, ents[i].key) {
				return false
			}
		}
		written := slices.Clone(p.out[start:])
		p.out = p.out[:start+1]
		for i, e := range ents {
			if i > 0 {
				p.out = append(p.out, ',')
			}
			p.out = append(p.out, written[e.start-start:e.end-start]...)
		}
	}
	p.out = append(p.out, '}')
	p.ents = p.ents[:base]
	return true
}

// value reads the value of a key of a mapping at column col; vcol is just
// after the key's colon.
func (p *yparser) value(col, vcol int) bool {
	l := p.line
	v := skipSpaces(l, vcol)
	if v == len(l) || l[v] == '#' {
		// The value is on the next lines, or empty.
		p.next()
		p.skip()
		if !p.done() {
			switch ind := indentOf(p.line); {
			case ind > col:
				return p.node(ind, col)
			case ind == col && seqEntry(p.line, col):
				return p.sequence(col)
			}
		}
		p.out = append(p.out, "null"...)
		return true
	}
	if seqEntry(l, v) {
		return false
	}
	end, ok := p.inline(l, v)
	return ok && lineEnd(l, end) && p.after(col)
}

// sequence reads a block sequence whose entries start lines at column col.
func (p *yparser) sequence(col int) bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	defer func() { p.depth-- }()
	p.out = append(p.out, '[')
	for first := true; ; first = false {
		if !first {
			p.out = append(p.out, ',')
		}
		l := p.line
		c := skipSpaces(l, col+1)
		var ok bool
		switch {
		case c == len(l) || l[c] == '#':
			// The entry is on the next lines, or empty.
			p.next()
			p.skip()
			if !p.done() && indentOf(p.line) > col {
				ok = p.node(indentOf(p.line), col)
			} else {
				p.out = append(p.out, "null"...)
				ok = true
			}
		case seqEntry(l, c):
			return false // "- - a"
		case l[c] == '[' || l[c] == '{':
			var end int
			end, ok = p.flow(l, c, 1)
			ok = ok && lineEnd(l, end) && p.after(col)
		default:
			s, end, sok := scalarAt(l, c)
			if !sok {
				return false
			}
			if keyColon(l, skipSpaces(l, end)) {
				ok = p.mapping(c)
			} else {
				p.write(s)
				ok = lineEnd(l, end) && p.after(col)
			}
		}
		if !ok {
			return false
		}
		if p.done() {
			break
		}
		if ind := indentOf(p.line); ind < col {
			break
		} else if ind > col {
			return false
		}
		if !seqEntry(p.line, col) {
			break
		}
	}
	p.out = append(p.out, ']')
	return true
}

// key reads the mapping key at column col of l and returns it and the
// column after its colon.
func key(l []byte, col int) (k []byte, vcol int, ok bool) {
	s, end, ok := scalarAt(l, col)
	if !ok || s.kind != 'q' || string(s.text) == "<<" || end-col > 1000 {
		// Keys that are not strings, merge keys, and keys longer than
		// go-yaml's simple key limit of 1024 characters.
		return nil, 0, false
	}
	i := skipSpaces(l, end)
	if !keyColon(l, i) {
		return nil, 0, false
	}
	return s.text, i + 1, true
}

// scalar is a resolved scalar: a string ('q') or the JSON text of a null,
// a boolean or an integer ('l').
type scalar struct {
	kind byte
	text []byte
}

var null = scalar{'l', []byte("null")}

// write writes s as JSON.
func (p *yparser) write(s scalar) {
	if s.kind == 'q' {
		p.out = appendJSONString(p.out, s.text)
	} else {
		p.out = append(p.out, s.text...)
	}
}

// appendJSONString appends s quoted as encoding/json quotes it (with its
// HTML escaping), leaving anything but plain printable ASCII to
// encoding/json itself.
func appendJSONString(b, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(string(s)) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// scalarAt reads a quoted or plain scalar in block context at column col
// of l and returns it and the column just after it.
func scalarAt(l []byte, col int) (scalar, int, bool) {
	if l[col] == '"' || l[col] == '\'' {
		return quoted(l, col)
	}
	text, end, ok := plainBlock(l, col)
	if !ok {
		return scalar{}, 0, false
	}
	s, ok := resolvePlain(text)
	return s, end, ok
}

// inline writes the scalar or flow collection at column col of l and
// returns the column just after it.
func (p *yparser) inline(l []byte, col int) (int, bool) {
	if l[col] == '[' || l[col] == '{' {
		return p.flow(l, col, 1)
	}
	s, end, ok := scalarAt(l, col)
	if ok {
		p.write(s)
	}
	return end, ok
}

// plainStart reports whether c may start a plain scalar of the subset:
// not an indicator (go-yaml allows some of them before a non-space; the
// subset does not), and not a quote or a flow collection.
func plainStart(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

// plainBlock reads a plain scalar in block context at column col of l: it
// ends at a ": " or a colon ending the line, at " #", or at the end of the
// line. end is just after its last non-space character.
func plainBlock(l []byte, col int) (text []byte, end int, ok bool) {
	c := l[col]
	if !plainStart(c) && !(c == '-' && col+1 < len(l) && l[col+1] != ' ') {
		return nil, 0, false
	}
	i := col
	for i < len(l) && !keyColon(l, i) && !(l[i] == ' ' && i+1 < len(l) && l[i+1] == '#') {
		i++
	}
	for i > col && l[i-1] == ' ' {
		i--
	}
	return l[col:i], i, true
}

// plainFlow reads a plain scalar in a flow collection at column col of l:
// it ends at ',', ']', '}', or a ':' followed by a space or the end of the
// line. The subset refuses plain scalars in flow collections that hold
// '[', '{', '#' or '?', which end or change them in go-yaml, or that end
// with a ':'.
func plainFlow(l []byte, col int) (text []byte, end int, ok bool) {
	if !plainStart(l[col]) && !(l[col] == '-' && col+1 < len(l) && l[col+1] != ' ' && l[col+1] != ',' && l[col+1] != ']' && l[col+1] != '}') {
		return nil, 0, false
	}
	i := col
	for ; i < len(l); i++ {
		c := l[i]
		if c == ',' || c == ']' || c == '}' || keyColon(l, i) {
			break
		}
		if c == '[' || c == '{' || c == '#' || c == '?' {
			return nil, 0, false
		}
	}
	for i > col && l[i-1] == ' ' {
		i--
	}
	if l[i-1] == ':' {
		return nil, 0, false
	}
	return l[col:i], i, true
}

// flow writes the flow sequence or mapping that starts at column col of l
// and ends on the same line, nested depth deep in flow collections, and
// returns the column just after it.
func (p *yparser) flow(l []byte, col, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	closing := byte(']')
	if l[col] == '{' {
		closing = '}'
	}
	start, base := len(p.out), len(p.ents)
	p.out = append(p.out, l[col])
	i := skipSpaces(l, col+1)
	for first := true; ; first = false {
		if i >= len(l) {
			return 0, false
		}
		if first && l[i] == closing {
			i++
			break
		}
		if !first {
			p.out = append(p.out, ',')
		}
		e := entry{start: len(p.out)}
		if closing == '}' {
			// A key, a colon, a space and a value.
			k, end, ok := flowScalar(l, i)
			if !ok || k.kind != 'q' || string(k.text) == "<<" {
				return 0, false
			}
			i = skipSpaces(l, end)
			if !(i+1 < len(l) && l[i] == ':' && l[i+1] == ' ') {
				return 0, false
			}
			if i = skipSpaces(l, i+1); i >= len(l) {
				return 0, false
			}
			e.key = k.text
			p.out = appendJSONString(p.out, k.text)
			p.out = append(p.out, ':')
		}
		var end int
		var ok bool
		if l[i] == '[' || l[i] == '{' {
			end, ok = p.flow(l, i, depth+1)
		} else {
			var v scalar
			if v, end, ok = flowScalar(l, i); ok {
				p.write(v)
			}
		}
		if !ok {
			return 0, false
		}
		if closing == '}' {
			e.end = len(p.out)
			p.ents = append(p.ents, e)
		}
		if i = skipSpaces(l, end); i >= len(l) {
			return 0, false
		}
		if l[i] == closing {
			i++
			break
		}
		if l[i] != ',' {
			return 0, false
		}
		i = skipSpaces(l, i+1)
		if i < len(l) && (l[i] == ',' || l[i] == ']' || l[i] == '}') {
			return 0, false // empty entries and trailing commas
		}
	}
	if closing == ']' {
		p.out = append(p.out, ']')
		return i, true
	}
	return i, p.closeMapping(start, base)
}

// flowScalar reads a quoted or plain scalar in a flow collection.
func flowScalar(l []byte, col int) (scalar, int, bool) {
	if l[col] == '"' || l[col] == '\'' {
		return quoted(l, col)
	}
	text, end, ok := plainFlow(l, col)
	if !ok || len(text) == 0 {
		return scalar{}, 0, false
	}
	s, ok := resolvePlain(text)
	return s, end, ok
}

// quoted reads a single- or double-quoted scalar that ends on its line.
func quoted(l []byte, col int) (scalar, int, bool) {
	q := l[col]
	i := col + 1
	// Most quoted scalars have no escapes: take them as they are.
	j := i
	for j < len(l) && l[j] != q && l[j] != '\\' {
		j++
	}
	if j == len(l) {
		return scalar{}, 0, false
	}
	if l[j] == q && (q == '"' || j+1 == len(l) || l[j+1] != '\'') {
		return scalar{'q', l[i:j]}, j + 1, true
	}
	var s []byte
	for {
		if i >= len(l) {
			return scalar{}, 0, false // continued on the next line
		}
		c := l[i]
		switch {
		case c == '\'' && q == '\'':
			if i+1 < len(l) && l[i+1] == '\'' {
				s = append(s, '\'')
				i += 2
				continue
			}
			return scalar{'q', s}, i + 1, true
		case c == '"' && q == '"':
			return scalar{'q', s}, i + 1, true
		case c == '\\' && q == '"':
			var ok bool
			if s, i, ok = escape(s, l, i); !ok {
				return scalar{}, 0, false
			}
		default:
			s = append(s, c)
			i++
		}
	}
}

// escape decodes the escape sequence at l[i] (a backslash) onto s.
func escape(s, l []byte, i int) ([]byte, int, bool) {
	if i+1 >= len(l) {
		return nil, 0, false // a line continuation
	}
	if c, ok := simpleEscapes[l[i+1]]; ok {
		return append(s, c), i + 2, true
	}
	var digits int
	switch l[i+1] {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	default:
		return nil, 0, false
	}
	if i+2+digits > len(l) {
		return nil, 0, false
	}
	v, err := strconv.ParseUint(string(l[i+2:i+2+digits]), 16, 32)
	if err != nil || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff {
		return nil, 0, false
	}
	return utf8.AppendRune(s, rune(v)), i + 2 + digits, true
}

var simpleEscapes = map[byte]byte{
	'\\': '\\', '"': '"', '0': 0, 'a': '\a', 'b': '\b',
	't': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r', 'e': 0x1b,
}

// yamlFloat is go-yaml v2's yamlStyleFloat.
var yamlFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolvePlain resolves a plain scalar as go-yaml v2's resolve does, for
// the values the subset keeps: strings, null, true, false and decimal
// integers. It follows resolve's order: the first character hints at what
// the scalar may be, a table holds the special words, and scalars that
// start with a digit or a sign are tried as timestamps, integers, floats
// and binary integers in turn.
func resolvePlain(text []byte) (scalar, bool) {
	if len(text) == 0 {
		return null, true
	}
	switch c := text[0]; {
	case c == '+' || c == '-' || ('0' <= c && c <= '9'):
		return resolveNumeric(text)
	case c == '.':
		if special(text) {
			return scalar{}, false
		}
		if _, err := strconv.ParseFloat(string(text), 64); err == nil {
			return scalar{}, false
		}
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		switch string(text) {
		case "true", "false", "null":
			return scalar{'l', text}, true
		case "~":
			return null, true
		}
		if special(text) {
			return scalar{}, false
		}
	}
	return scalar{'q', text}, true
}

// special reports whether go-yaml v2's resolve table holds text (other
// spellings of booleans and null, and the infinities and NaN).
func special(text []byte) bool {
	switch string(text) {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"~", "null", "Null", "NULL",
		".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return true
	}
	return false
}

// resolveNumeric resolves a plain scalar that starts with a sign or a
// digit: a decimal integer is kept, anything resolve would read as a
// number or a timestamp is refused, and the rest are strings.
func resolveNumeric(text []byte) (scalar, bool) {
	if decimal(text) {
		return scalar{'l', text}, true
	}
	if special(text) || timestampLike(text) {
		return scalar{}, false
	}
	s := string(text)
	plain := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return scalar{}, false
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return scalar{}, false
	}
	if yamlFloat.MatchString(plain) || strings.HasPrefix(plain, "0b") || strings.HasPrefix(plain, "-0b") {
		return scalar{}, false
	}
	return scalar{'q', text}, true
}

// decimal reports whether text is a decimal integer that fits in an int64,
// with perhaps a minus and no leading zeros: such integers are written
// into JSON as they are.
func decimal(text []byte) bool {
	digits := text
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || (digits[0] == '0' && (len(digits) > 1 || len(text) > 1)) {
		return false // 19 digits may not fit; "-0" is 0
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// timestampLike reports whether text passes go-yaml v2's quick check for a
// timestamp: four digits and a dash.
func timestampLike(text []byte) bool {
	i := 0
	for i < len(text) && '0' <= text[i] && text[i] <= '9' {
		i++
	}
	return i == 4 && i < len(text) && text[i] == '-'
}
