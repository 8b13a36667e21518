package load

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"

	"sigs.k8s.io/yaml"
)

// yamlDocToJSON converts a YAML document that yamlToJSON refused with
// sigs.k8s.io/yaml, strictly: a key given twice in one mapping is an error,
// as the API server's strict field validation (which converts YAML with
// the same function) makes it, and as a JSON field given twice is. Without
// it go-yaml keeps the last value, and a policy could silently lose a rule
// or a selector. The error names the file and, for a duplicate key, the
// key and its line in the file; line is the file line the document starts
// at (0 when unknown: lines are then the document's).
func yamlDocToJSON(name string, doc []byte, line int) ([]byte, error) {
	raw, err := yaml.YAMLToJSONStrict(doc)
	if err == nil {
		return raw, nil
	}
	if m := duplicateKey.FindStringSubmatch(err.Error()); m != nil {
		at, _ := strconv.Atoi(m[1])
		key := m[2]
		if k, err := strconv.Unquote(key); err == nil {
			key = k
		}
		at = keyLine(doc, at, key)
		if line > 0 {
			at += line - 1
		}
		return nil, fmt.Errorf("%s: line %d: duplicate key %q", name, at, key)
	}
	return nil, fmt.Errorf("error parsing %s: error converting YAML to JSON: %w", name, err)
}

// duplicateKey matches go-yaml's report of a key given twice (the first
// one, when there are several), which sigs.k8s.io/yaml returns as it is.
var duplicateKey = regexp.MustCompile(`line (\d+): key (.*) already set in map`)

// keyLine is the line of a duplicate key in doc: go-yaml reports the line
// of the value, which for a block value is the line after the key's.
func keyLine(doc []byte, line int, key string) int {
	lines := bytes.Split(doc, []byte("\n"))
	if line < 1 || line > len(lines) {
		return line
	}
	isKey := func(l []byte) bool {
		t := bytes.TrimLeft(l, " ")
		for bytes.HasPrefix(t, []byte("- ")) {
			t = bytes.TrimLeft(t[2:], " ")
		}
		for _, k := range []string{key, strconv.Quote(key), "'" + key + "'"} {
			if bytes.HasPrefix(t, []byte(k+":")) {
				return true
			}
		}
		return false
	}
	for _, k := range []string{key, strconv.Quote(key), "'" + key + "'"} {
		if bytes.Contains(lines[line-1], []byte(k+":")) {
			return line
		}
	}
	for i := line - 2; i >= 0; i-- {
		t := bytes.TrimSpace(lines[i])
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		if isKey(lines[i]) {
			return i + 1
		}
		break
	}
	return line
}

// lineCounter finds where the documents apimachinery's YAMLReader reads
// from data start: in order, as the first line-starting copy of each after
// the previous one (only separator lines, which start with "---", lie in
// between). The reader drops the carriage return of "\r\n" line ends.
type lineCounter struct {
	data []byte
	pos  int // where the previous document ended
	line int // the line pos is on
}

func newLineCounter(data []byte) *lineCounter {
	return &lineCounter{data: bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), line: 1}
}

// next is the line the document doc starts at, or 0 if it is not found.
func (c *lineCounter) next(doc []byte) int {
	want := bytes.TrimSuffix(doc, []byte("\n"))
	for from := c.pos; from <= len(c.data); {
		i := bytes.Index(c.data[from:], want)
		if i < 0 {
			return 0
		}
		at := from + i
		if at == 0 || c.data[at-1] == '\n' {
			c.line += bytes.Count(c.data[c.pos:at], []byte("\n"))
			start := c.line
			c.line += bytes.Count(want, []byte("\n"))
			c.pos = at + len(want)
			return start
		}
		from = at + 1
	}
	return 0
}
