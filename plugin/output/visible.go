package output

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Visible returns s with each character that could drive a terminal or
// hide text replaced by its Go escape, as %q writes it: ESC as \x1b, a
// carriage return as \r, a right-to-left override as \u202e, an invalid
// byte as \xff. Newlines are kept. Names and labels in manifests are not
// validated, and text reaches a reviewer's terminal: a pod named
// "\x1b[2J" must not clear it.
func Visible(s string) string { return visible(s, true, false) }

// cell is Visible for one table or CSV cell, where a newline is escaped
// too: a cell is one line.
func cell(s string) string { return visible(s, false, false) }

// writeText writes a rendered text answer through Visible. Every text
// renderer ends with it. On a colour terminal the colour sequences
// (SGR) that the painter writes are kept, and only those: see sgrLen.
func (p painter) writeText(w io.Writer, s string) error {
	_, err := io.WriteString(w, visible(s, true, bool(p)))
	return err
}

// csvCell is cell for a CSV field, with a quote before a leading = + - @,
// which spreadsheets would run as a formula.
func csvCell(s string) string {
	s = cell(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// mermaidEntities writes the characters Mermaid or the HTML it renders to
// would read in a label as Mermaid entity codes.
var mermaidEntities = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;", "`", "#96;")

// mermaidLabel is cell for the text of a quoted Mermaid label: GitHub
// renders labels as HTML, where a name with "<img" would be an element.
func mermaidLabel(s string) string { return mermaidEntities.Replace(cell(s)) }

func visible(s string, keepNewline, keepColour bool) string {
	i := 0
	for i < len(s) && (s[i] >= 0x20 && s[i] < 0x7f || s[i] == '\n' && keepNewline) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\n' && keepNewline {
			b.WriteByte(c)
			i++
			continue
		}
		if c == 0x1b && keepColour {
			if n := sgrLen(s[i:]); n > 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, c)
		case strconv.IsPrint(r) && r >= utf8.RuneSelf:
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// sgrLen is the length of the colour sequence s starts with, or 0: ESC [
// then parameters that set bold, dim, italic, underline, a foreground
// colour or reset them, then m. Sequences that move the cursor, clear,
// set a title, conceal, blink, or set a background are not colour
// sequences here.
func sgrLen(s string) int {
	if !strings.HasPrefix(s, "\x1b[") {
		return 0
	}
	end := 2
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == ';') {
		end++
	}
	if end == len(s) || s[end] != 'm' {
		return 0
	}
	for _, p := range strings.Split(s[2:end], ";") {
		n, err := strconv.Atoi(p)
		switch {
		case p == "", err == nil && (n <= 4 || n >= 22 && n <= 24 || n >= 30 && n <= 37 || n == 39 || n >= 90 && n <= 97):
		default:
			return 0
		}
	}
	return end + 1
}
