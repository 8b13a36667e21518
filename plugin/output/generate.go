package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// GeneratedYAML writes generated policies as YAML documents ready for
// kubectl apply, each with a comment that says what it is for and one
// per rule that says which peers and flows it is for. head is the
// comment of the whole stream.
func GeneratedYAML(w io.Writer, g *query.Generated, head []string) error {
	var b bytes.Buffer
	for _, l := range head {
		b.WriteString(commentLines(l))
	}
	if len(g.Overwrites) > 0 {
		b.WriteString("# These replace the existing policies of the namespaces in scope. Applied, they overwrite those of the same name:\n")
		for _, r := range g.Overwrites {
			fmt.Fprintf(&b, "#   %s\n", r)
		}
	}
	if len(g.Removes) > 0 {
		b.WriteString("# Once they are applied, delete the existing policies they replace that no generated one overwrites:\n")
		for _, r := range g.Removes {
			fmt.Fprintf(&b, "#   kubectl delete %s -n %s %s\n", strings.ToLower(r.Kind), r.Namespace, r.Name)
		}
	}
	for i, p := range g.Policies {
		if i > 0 || b.Len() > 0 {
			b.WriteString("---\n")
		}
		node, err := policyNode(p)
		if err != nil {
			return fmt.Errorf("encode %s %s/%s: %w", p.Kind, p.Namespace, p.Name, err)
		}
		b.WriteString(commentLines(p.Comment))
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(node); err != nil {
			return fmt.Errorf("encode %s %s/%s: %w", p.Kind, p.Namespace, p.Name, err)
		}
		if err := enc.Close(); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// commentLines writes text as YAML comment lines of at most about 100
// columns.
func commentLines(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(text, "\n") {
		line := "#"
		for _, word := range strings.Fields(para) {
			if len(line) > 2 && len(line)+1+len(word) > 100 {
				b.WriteString(line + "\n")
				line = "#"
			}
			line += " " + word
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// policyNode is the object as a YAML node tree in kubectl's field order
// (apiVersion, kind, metadata, spec), in block style, with each rule's
// note as its comment.
func policyNode(p query.GeneratedPolicy) (*yaml.Node, error) {
	js, err := json.Marshal(p.Object)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(js, &doc); err != nil {
		return nil, err
	}
	root := doc.Content[0]
	blockStyle(root)
	root.Content = ordered(root.Content, "apiVersion", "kind", "metadata", "spec")
	if md := field(root, "metadata"); md != nil {
		drop(md, "creationTimestamp")
		md.Content = ordered(md.Content, "name", "namespace", "labels")
	}
	if spec := field(root, "spec"); spec != nil {
		spec.Content = ordered(spec.Content, "podSelector", "endpointSelector", "policyTypes", "ingress", "egress")
	}
	for _, dir := range []string{"ingress", "egress"} {
		if rules := field(field(root, "spec"), dir); rules != nil {
			for _, r := range rules.Content {
				if r.Kind == yaml.MappingNode {
					r.Content = ordered(r.Content, "from", "to", "fromEndpoints", "toEndpoints", "fromCIDR", "toCIDR", "ports", "toPorts")
				}
			}
		}
	}
	for _, n := range p.Rules {
		if item := at(root, n.Path); item != nil {
			item.HeadComment = strings.TrimSuffix(commentLines(n.Note), "\n")
		}
	}
	return root, nil
}

// blockStyle undoes the flow style JSON parses into, keeping {} and [].
func blockStyle(n *yaml.Node) {
	if len(n.Content) > 0 || n.Kind == yaml.ScalarNode {
		n.Style = 0
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		// Quote only what would read as another type.
		var v any
		if err := yaml.Unmarshal([]byte(n.Value), &v); err != nil || fmt.Sprint(v) != n.Value || n.Value == "" {
			n.Style = yaml.DoubleQuotedStyle
		} else if _, isStr := v.(string); !isStr {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// ordered puts a mapping's keys in the given order first, the rest after.
func ordered(kv []*yaml.Node, keys ...string) []*yaml.Node {
	var out []*yaml.Node
	for _, k := range keys {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i].Value == k {
				out = append(out, kv[i], kv[i+1])
			}
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		known := false
		for _, k := range keys {
			known = known || kv[i].Value == k
		}
		if !known {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func drop(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// at finds the node of a field path such as spec.ingress[0].
func at(root *yaml.Node, path string) *yaml.Node {
	n := root
	for _, part := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(part, "[")
		n = field(n, name)
		if n == nil {
			return nil
		}
		if hasIdx {
			i, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		}
	}
	return n
}

// Proof prints the proof of generated policies: whether it holds, each
// flow of the request with its verdict, what the policies also allow,
// and what they deny that is allowed now. At most limit entries of the
// last two lists are shown; -o json has them all.
func Proof(w io.Writer, pr *query.Proof, limit int) error {
	p := newPainter(w)
	var b strings.Builder
	held := func(cs []query.ProofCheck) int {
		n := 0
		for _, c := range cs {
			if c.Holds {
				n++
			}
		}
		return n
	}
	verdict := p.green("holds")
	if !pr.Holds {
		verdict = p.red("does not hold")
	}
	fmt.Fprintf(&b, "Proof: %s. With the generated policies, %d of %d required flows are allowed and %d of %d flows that must stay denied are denied.\n",
		verdict, held(pr.Required), len(pr.Required), held(pr.Denied), len(pr.Denied))
	for _, c := range append(append([]query.ProofCheck{}, pr.Required...), pr.Denied...) {
		mark := p.green("ok  ")
		if !c.Holds {
			mark = p.red("FAIL")
		}
		name := c.From + " -> " + c.To
		switch {
		case strings.Contains(c.Name, " -> "):
			name = c.Name // an observed connection's name says both ends
		case c.Name != "":
			name = c.Name + " (" + name + ")"
		}
		fmt.Fprintf(&b, "  %s %-9s %s\n", mark, c.Verdict, name)
		if !c.Holds {
			for _, by := range c.By {
				fmt.Fprintf(&b, "         %s\n", by)
			}
			for _, d := range c.DependsOn {
				fmt.Fprintf(&b, "         depends on: %s\n", d)
			}
			if c.Blocker != "" {
				fmt.Fprintf(&b, "         blocked: %s\n", c.Blocker)
			}
		}
	}
	n := 0
	for _, o := range pr.AlsoAllowed {
		n += len(o.Flows)
	}
	if n == 0 {
		b.WriteString("Also allowed beyond the required flows: nothing.\n")
	} else {
		fmt.Fprintf(&b, "Also allowed beyond the required flows: %s, by %s:\n", plural(n, "pair", "pairs"), plural(len(pr.AlsoAllowed), "rule group", "rule groups"))
		for _, o := range pr.AlsoAllowed {
			fmt.Fprintf(&b, "  %s: %s\n", plural(len(o.Flows), "pair", "pairs"), strings.Join(o.AllowedBy, "; "))
			for i, f := range o.Flows {
				if i == limit {
					fmt.Fprintf(&b, "    ... and %d more\n", len(o.Flows)-limit)
					break
				}
				fmt.Fprintf(&b, "    %s -> %s: %s\n", f.Source, f.Destination, f.Ports)
			}
		}
	}
	if len(pr.NewlyDenied) == 0 {
		b.WriteString("Newly denied (allowed now): nothing.\n")
	} else {
		fmt.Fprintf(&b, "Newly denied (allowed now, denied with the generated policies): %s\n", plural(len(pr.NewlyDenied), "pair", "pairs"))
		for i, c := range pr.NewlyDenied {
			if i == limit {
				fmt.Fprintf(&b, "  ... and %d more (-o json lists them all)\n", len(pr.NewlyDenied)-limit)
				break
			}
			fmt.Fprintf(&b, "  %s -> %s: %s\n", c.Source, c.Destination, c.NowDenied)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
