package load

import (
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Positions records where each object read from manifests is written: the
// file, and the document it is in, so that a finding about the object or
// one of its fields can point at a file and line (audit -o sarif, which
// code-scanning tools show on the pull request's diff). Give one as
// Source.Positions to have Manifests fill it; the zero value is empty and
// ready. The YAML of a document is parsed only when a field of one of its
// objects is asked for.
type Positions struct {
	byObject map[objectKey]*placed
	// order is every object in reading order, for the fallbacks.
	order []*placed
}

// Position is a place in a file: lines and columns count from 1; Line is 0
// when only the file is known.
type Position struct {
	File   string
	Line   int
	Column int
}

// objectKey names an object as findings do: kind in lower case, namespace
// ("" for cluster-scoped objects and Namespaces) and name.
type objectKey struct{ kind, namespace, name string }

func keyOf(kind, namespace, name string) objectKey {
	kind = strings.ToLower(kind)
	if kind == "namespace" {
		namespace = ""
	}
	return objectKey{kind, namespace, name}
}

// docRef is the document an object was decoded from: its text, YAML or
// JSON, and the line of the file it starts at (0 when unknown).
type docRef struct {
	text []byte
	line int
}

// placed is one object's document, and its YAML tree once parsed.
type placed struct {
	key  objectKey
	file string
	doc  docRef

	once sync.Once
	root *yaml.Node
}

// record adds the objects of one file with the documents they came from;
// the first definition of an object wins, as Manifests refuses a second.
func (p *Positions) record(file string, objects []runtime.Object, docs []docRef) {
	if p.byObject == nil {
		p.byObject = map[objectKey]*placed{}
	}
	for i, obj := range objects {
		m, ok := obj.(metav1.Object)
		if !ok || i >= len(docs) {
			continue
		}
		k := keyOf(obj.GetObjectKind().GroupVersionKind().Kind, m.GetNamespace(), m.GetName())
		if _, dup := p.byObject[k]; dup {
			continue
		}
		pl := &placed{key: k, file: file, doc: docs[i]}
		p.byObject[k] = pl
		p.order = append(p.order, pl)
	}
}

// Object is where an object is written: the line of its first field.
func (p *Positions) Object(kind, namespace, name string) (Position, bool) {
	return p.Field(kind, namespace, name, "")
}

// Field is where a field of an object is written, given by its path as
// findings and traces name it ("spec.ingress[0].from[1]"): the line and
// column of the field's key or list item, or of the deepest part of the
// path that is written when the rest is not (a field left to its
// default). An empty path is the object itself.
func (p *Positions) Field(kind, namespace, name, path string) (Position, bool) {
	if p == nil {
		return Position{}, false
	}
	pl, ok := p.byObject[keyOf(kind, namespace, name)]
	if !ok {
		return Position{}, false
	}
	return pl.position(path), true
}

// FirstIn is where the first object read of a namespace is written (the
// Namespace object itself when there is one): the place for a finding
// about a namespace or a group of its pods that no object of its own
// stands for.
func (p *Positions) FirstIn(namespace string) (Position, bool) {
	if pos, ok := p.Object("Namespace", "", namespace); ok {
		return pos, true
	}
	if p == nil {
		return Position{}, false
	}
	for _, pl := range p.order {
		if pl.key.namespace == namespace {
			return pl.position(""), true
		}
	}
	return Position{}, false
}

// First is where the first object read is written: the place for a
// finding about something no object stands for, where every object was
// read from files (GitHub's code scanning takes no finding without a
// file).
func (p *Positions) First() (Position, bool) {
	if p == nil || len(p.order) == 0 {
		return Position{}, false
	}
	return p.order[0].position(""), true
}

// position finds path in the object's document.
func (pl *placed) position(path string) Position {
	pos := Position{File: pl.file, Line: pl.doc.line}
	if pl.doc.line == 0 {
		return pos
	}
	pl.once.Do(func() {
		var doc yaml.Node
		if err := yaml.Unmarshal(pl.doc.text, &doc); err == nil && len(doc.Content) == 1 {
			pl.root = pl.findItem(doc.Content[0])
		}
	})
	if pl.root == nil {
		return pos
	}
	n := walkPath(pl.root, path)
	pos.Line, pos.Column = pl.doc.line+n.Line-1, n.Column
	return pos
}

// findItem is the object's node in its document: the document itself, or
// the item of a List whose kind, namespace and name are the object's.
func (pl *placed) findItem(root *yaml.Node) *yaml.Node {
	items := mappingValue(root, "items")
	if kind := mappingValue(root, "kind"); items == nil || items.Kind != yaml.SequenceNode || kind == nil || !strings.HasSuffix(kind.Value, "List") {
		return root
	}
	for _, item := range items.Content {
		item = deref(item)
		meta := mappingValue(item, "metadata")
		if k := mappingValue(item, "kind"); k != nil && strings.ToLower(k.Value) != pl.key.kind {
			continue
		}
		if n := mappingValue(meta, "name"); n == nil || n.Value != pl.key.name {
			continue
		}
		if ns := mappingValue(meta, "namespace"); ns != nil && ns.Value != pl.key.namespace && pl.key.namespace != "" {
			continue
		}
		return item
	}
	return root
}

// walkPath follows a field path ("spec.ingress[0].from[1]") from n as far
// as it is written, and returns the node to point at: a mapping key, a
// list item, or n itself for an empty path. A path that goes on through an
// alias ends at the alias: that is where the object's own text has it.
func walkPath(n *yaml.Node, path string) *yaml.Node {
	at := n
	for _, seg := range splitPath(path) {
		if n.Kind == yaml.AliasNode {
			return at
		}
		switch {
		case seg.key != "":
			if n.Kind != yaml.MappingNode {
				return at
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg.key {
					at, n, found = n.Content[i], n.Content[i+1], true
					break
				}
			}
			if !found {
				return at
			}
		default:
			if n.Kind != yaml.SequenceNode || seg.index >= len(n.Content) {
				return at
			}
			n = n.Content[seg.index]
			at = n
		}
	}
	return at
}

// pathSegment is one step of a field path: a key, or a list index when key
// is empty.
type pathSegment struct {
	key   string
	index int
}

// splitPath splits "spec.ingress[0].from[1]" into spec, ingress, 0, from, 1.
// A malformed index ends the path there.
func splitPath(path string) []pathSegment {
	var out []pathSegment
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			continue
		}
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			out = append(out, pathSegment{key: key})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 {
				return out
			}
			out = append(out, pathSegment{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

// mappingValue is the value of key in a mapping node, nil when n is not a
// mapping or has no such key.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
