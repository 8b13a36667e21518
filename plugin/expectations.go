package plugin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Expectation is one expected flow of a test file.
type Expectation struct {
	Name   string
	From   string
	To     string
	Expect string

	// File, Line and Index say where it was written: the line of the list
	// item and its position in the list (0-based).
	File  string
	Line  int
	Index int
}

// where names the expectation in errors: FILE:LINE: expectation N (NAME),
// N counted from 1.
func (e *Expectation) where() string {
	s := fmt.Sprintf("%s:%d: expectation %d", e.File, e.Line, e.Index+1)
	if e.Name != "" {
		s += " (" + e.Name + ")"
	}
	return s
}

// expectationFields are the keys an expectation may have.
var expectationFields = []string{"name", "from", "to", "expect"}

// parseExpectations reads an expectations file: one YAML list of
// expectations, each with from, to, expect and an optional name. It reads
// the YAML node tree rather than decoding into structs, so that every
// error names the line in the file and the expectation by its number.
func parseExpectations(file string, b []byte) ([]Expectation, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: no expectations", file)
	} else if err != nil {
		return nil, yamlError(file, err)
	}
	list := content(&doc)
	if list == nil || list.Kind != yaml.SequenceNode {
		line := 1
		if list != nil {
			line = list.Line
		}
		return nil, fmt.Errorf("%s:%d: not a list of expectations (- from: SRC, to: DST, expect: allow|deny, name: optional)", file, line)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		if n := content(&next); n != nil && n.Tag != "!!null" {
			return nil, fmt.Errorf("%s:%d: a second YAML document: want one list of expectations", file, n.Line)
		}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	if len(list.Content) == 0 {
		return nil, fmt.Errorf("%s:%d: no expectations", file, list.Line)
	}
	out := make([]Expectation, 0, len(list.Content))
	for i, item := range list.Content {
		e, err := parseExpectation(file, i, resolveAlias(item))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// parseExpectation reads one list item.
func parseExpectation(file string, index int, item *yaml.Node) (Expectation, error) {
	e := Expectation{File: file, Line: item.Line, Index: index}
	at := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%s:%d: expectation %d: %s", file, n.Line, index+1, fmt.Sprintf(format, args...))
	}
	if item.Kind != yaml.MappingNode {
		return e, at(item, "want a mapping with from, to and expect")
	}
	seen := map[string]bool{}
	var expectNode *yaml.Node
	for i := 0; i+1 < len(item.Content); i += 2 {
		key, value := resolveAlias(item.Content[i]), resolveAlias(item.Content[i+1])
		if !slices.Contains(expectationFields, key.Value) {
			return e, at(key, "unknown field %q (want %s)", key.Value, strings.Join(expectationFields, ", "))
		}
		if seen[key.Value] {
			return e, at(key, "%s given twice", key.Value)
		}
		seen[key.Value] = true
		if value.Kind != yaml.ScalarNode {
			return e, at(value, "%s: want a string", key.Value)
		}
		v := value.Value
		if value.Tag == "!!null" {
			v = ""
		}
		switch key.Value {
		case "name":
			e.Name = v
		case "from":
			e.From = v
		case "to":
			e.To = v
		case "expect":
			e.Expect, expectNode = v, value
		}
	}
	switch {
	case e.From == "" || e.To == "":
		return e, fmt.Errorf("%s: from and to are required", e.where())
	case e.Expect == "":
		return e, fmt.Errorf("%s: expect is required (allow or deny)", e.where())
	case e.Expect != "allow" && e.Expect != "deny":
		return e, fmt.Errorf("%s:%d: expectation %d: expect: want allow or deny, got %q", file, expectNode.Line, index+1, e.Expect)
	}
	return e, nil
}

// content is the node a document holds, nil for an empty one.
func content(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return resolveAlias(doc.Content[0])
	}
	return resolveAlias(doc)
}

// resolveAlias follows *alias to the node its anchor names.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns the parser's "yaml: line N: msg" into "FILE:N: msg".
func yamlError(file string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s", file, m[1], m[2])
	}
	return fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
}
