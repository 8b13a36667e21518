package load

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
)

func TestYAMLToJSON(t *testing.T) {
	const refuse = "REFUSE"
	for _, tc := range []struct{ in, want string }{
		{"", "null"},
		{"# only a comment\n\n", "null"},
		{"---\na: b\n", `{"a":"b"}`},
		{"# c\n--- # c\na: b\n...\n# c\n", `{"a":"b"}`},
		{"b: 1\na: x\n", `{"a":"x","b":1}`},
		{"z:\n  d: 1\n  c: {q: 1, p: [{s: 1, r: 2}]}\nb:\n- m: 1\n  k: 2\na: 0\n", `{"a":0,"b":[{"k":2,"m":1}],"z":{"c":{"p":[{"r":2,"s":1}],"q":1},"d":1}}`},
		{"a:\n  b:\n    c: d\n  e: f\n", `{"a":{"b":{"c":"d"},"e":"f"}}`},
		{"a:\n- x\n- w\nb: z\n", `{"a":["x","w"],"b":"z"}`},
		{"a:\n  - x\n  -   w\n", `{"a":["x","w"]}`},
		{"a:\n- y\n", refuse}, // YAML 1.1: y is true
		{"- a: 1\n  b:\n  - c\n- d\n", `[{"a":1,"b":["c"]},"d"]`},
		{"-\n  a: 1\n- # c\n  b: 2\n-\n", `[{"a":1},{"b":2},null]`},
		{"a:\nb: # c\nc: ~\nd: null\n", `{"a":null,"b":null,"c":null,"d":null}`},
		{"a:\n  x\n", `{"a":"x"}`},
		{"a: {}\nb: []\nc: {x: 1, w: [a, 'b', \"c\"], z: {}}\n", `{"a":{},"b":[],"c":{"w":["a","b","c"],"x":1,"z":{}}}`},
		{"a: [ x ,w ]  # c\n", `{"a":["x","w"]}`},
		{"a: true\nb: false\nc: 0\nd: -12\ne: 9223\n", `{"a":true,"b":false,"c":0,"d":-12,"e":9223}`},
		{"a: \"1\"\nb: '0x1'\nc: 'it''s'\nd: \"\"\ne: 'null'\n", `{"a":"1","b":"0x1","c":"it's","d":"","e":"null"}`},
		{`a: "x\ty\n\"\\ \u00e9 \x41 \U0001F600 <&>"`, `{"a":"x\ty\n\"\\ é A 😀 \u003c\u0026\u003e"}`},
		{"a: b c  #d\ne: f#g\nh: i:j\nk: http://x/y\n", `{"a":"b c","e":"f#g","h":"i:j","k":"http://x/y"}`},
		{"cidr: 10.0.0.0/8\nip: 10.1.2.3\nq: 100m\nm: 1Gi\nv: -foo\n", `{"cidr":"10.0.0.0/8","ip":"10.1.2.3","m":"1Gi","q":"100m","v":"-foo"}`},
		{"'a b': 1\n\"c\": 2\n", `{"a b":1,"c":2}`},
		{"  a: 1\n  b: 2\n", `{"a":1,"b":2}`},
		{"just a string\n", `"just a string"`},
		{"a: é ☃\n", `{"a":"é ☃"}`},

		// Refused: go-yaml reads these otherwise, or they are outside the subset.
		{"a: yes\n", refuse},
		{"a: On\n", refuse},
		{"a: True\n", refuse},
		{"a: NULL\n", refuse},
		{"a: 1.5\n", refuse},
		{"a: .inf\n", refuse},
		{"a: 1e3\n", refuse},
		{"a: 0x1f\n", refuse},
		{"a: 0755\n", refuse},
		{"a: 1_000\n", refuse},
		{"a: +1\n", refuse},
		{"a: -0\n", refuse},
		{"a: 12345678901234567890\n", refuse},
		{"a: 2024-01-02\n", refuse},
		{"a: 0b101\n", refuse},
		{"1: a\n", refuse},
		{"true: a\n", refuse},
		{"<<: {a: b}\n", refuse},
		{"a: &x b\nc: *x\n", refuse},
		{"a: !!str 1\n", refuse},
		{"? a\n: b\n", refuse},
		{"a: |\n  x\n", refuse},
		{"a: >\n  x\n", refuse},
		{"a: b\n  c\n", refuse},
		{"a: 'b\n  c'\n", refuse},
		{"a: [b,\n  c]\n", refuse},
		{"a:\n\tb: c\n", refuse},
		{"a: b\r\n", refuse},
		{"a: b\na: c\n", refuse},
		{"a: {b: 1, b: 2}\n", refuse},
		{"%YAML 1.1\n---\na: b\n", refuse},
		{"a: b\n---\nc: d\n", refuse},
		{"a: b: c\n", refuse},
		{"a: - b\n", refuse},
		{"- - a\n", refuse},
		{"a: 'b'c\n", refuse},
		{"a: 'b'#c\n", refuse},
		{"a: \"\\/\"\n", refuse},
		{"a: \"\\q\"\n", refuse},
		{"a: \"b\\\n  c\"\n", refuse},
		{"a: [b, ]\n", refuse},
		{"a: {b:c}\n", refuse},
		{"a: [http://x, 'b', {c: d:e}]\n", `{"a":["http://x","b",{"c":"d:e"}]}`},
		{"a: [b:]\n", refuse},
		{"a: {b: c:}\n", refuse},
		{"a: b\n - c\n", refuse},
		{"a:\n    b: 1\n  c: 2\n", refuse},
		{"- a\nb: c\n", refuse},
		{"a: \x01\n", refuse},
		{"\ufeffa: b\n", refuse},
		{"a: b\n...\nc: d\n", refuse},
	} {
		got, ok := yamlToJSON([]byte(tc.in))
		if tc.want == refuse {
			if ok {
				t.Errorf("yamlToJSON(%q) = %s, want a refusal", tc.in, got)
			}
			continue
		}
		if !ok {
			t.Errorf("yamlToJSON(%q) refused, want %s", tc.in, tc.want)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("yamlToJSON(%q) = %s, want %s", tc.in, got, tc.want)
		}
		checkSame(t, []byte(tc.in), got)
	}
}

// checkSame fails t unless got is what sigs.k8s.io/yaml makes of doc.
func checkSame(t testing.TB, doc, got []byte) {
	t.Helper()
	want, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("yamlToJSON(%q) = %s, but sigs.k8s.io/yaml fails: %v", doc, got, err)
	}
	if bytes.Equal(got, want) {
		return
	}
	var g, w any
	semantic := json.Unmarshal(got, &g) == nil && json.Unmarshal(want, &w) == nil && reflect.DeepEqual(g, w)
	// The typed decode that follows relies on the same bytes (key order
	// decides between case-insensitive duplicates, and orders strict
	// decoding errors), so equal values are not enough.
	t.Fatalf("yamlToJSON(%q)\n = %s\nsigs.k8s.io/yaml gives\n   %s\n(semantically equal: %v)", doc, got, want, semantic)
}

// manifestDocuments returns the documents of the YAML files under
// testdata, and of a generated cluster, split as decodeFile splits them.
func manifestDocuments(t testing.TB) (testdata, generated [][]byte) {
	t.Helper()
	err := filepath.WalkDir("../../testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		testdata = append(testdata, documents(b)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := gen.WriteManifests(dir, gen.Cluster(gen.Config{Pods: 300, Policies: 60, Seed: 1})); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		generated = append(generated, documents(b)...)
	}
	return testdata, generated
}

// documents splits a stream as decodeFile does, or returns it whole.
func documents(b []byte) [][]byte {
	if docs, _, ok := splitYAML(b); ok {
		return docs
	}
	return [][]byte{b}
}

// TestYAMLToJSONDifferential runs every manifest document through both
// converters.
func TestYAMLToJSONDifferential(t *testing.T) {
	testdata, generated := manifestDocuments(t)
	for _, set := range []struct {
		name string
		docs [][]byte
		min  float64
	}{{"testdata", testdata, 0.8}, {"generated", generated, 1}} {
		accepted := 0
		for _, doc := range set.docs {
			got, ok := yamlToJSON(doc)
			if !ok {
				t.Logf("%s: refused:\n%s", set.name, doc)
				continue
			}
			accepted++
			checkSame(t, doc, got)
		}
		frac := float64(accepted) / float64(len(set.docs))
		t.Logf("%s: %d of %d documents accepted (%.1f%%)", set.name, accepted, len(set.docs), 100*frac)
		if frac < set.min {
			t.Errorf("%s: %.1f%% of the documents accepted, want at least %.0f%%", set.name, 100*frac, 100*set.min)
		}
	}
}

// FuzzYAMLToJSON checks that whatever yamlToJSON accepts, sigs.k8s.io/yaml
// reads without error into the same JSON.
func FuzzYAMLToJSON(f *testing.F) {
	testdata, generated := manifestDocuments(f)
	for _, doc := range append(testdata, generated[:50]...) {
		f.Add(doc)
	}
	for _, s := range []string{
		"a: [b, {c: d}]\n", "- a: 1\n  b:\n  - c\n", "a: \"\\u00e9\\x41\"\n", "a: 'it''s'\n",
		"a: 10.0.0.0/8\n", "---\na: b\n...\n", "a:\n  x\n", "a: -1\nb: 0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, ok := yamlToJSON(doc)
		if ok {
			checkSame(t, doc, got)
		}
	})
}

// FuzzDecodeFile checks that decodeFile, with its own splitting and the
// fast path, reads any file as decodeStream (apimachinery's decoder and
// sigs.k8s.io/yaml alone) does: the same objects, warnings and errors.
func FuzzDecodeFile(f *testing.F) {
	testdata, _ := manifestDocuments(f)
	for _, doc := range testdata {
		f.Add(doc)
	}
	files, _ := filepath.Glob("../../testdata/*/*.yaml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n--- # c\napiVersion: v1\nkind: Pod\nmetadata: {name: b}"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n--- x\n"))
	f.Add([]byte("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n"))
	f.Add([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    n: |\n      x\n  name: b\n"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nmetadata:\n  name: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := decodeFile("f.yaml", data, "default", false)
		want := decodeStream("f.yaml", data, "default", false)
		if errString(got.err) != errString(want.err) {
			t.Fatalf("decodeFile(%q) error\n  %v\nwant\n  %v", data, got.err, want.err)
		}
		if got.err != nil {
			return
		}
		if !reflect.DeepEqual(got.ids, want.ids) || !reflect.DeepEqual(got.warnings, want.warnings) || !reflect.DeepEqual(got.objects, want.objects) {
			t.Fatalf("decodeFile(%q) =\n  %v %q\nwant\n  %v %q", data, got.ids, got.warnings, want.ids, want.warnings)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimSpace(err.Error())
}

// TestYAMLToJSONRandom compares the converters on documents made of the
// pieces manifests and the corners of YAML 1.1 are made of, put together
// at random: mostly valid block structure, with scalars that go-yaml reads
// in every way.
func TestYAMLToJSONRandom(t *testing.T) {
	scalars := []string{
		"a", "b c", "x", "y", "n", "no", "On", "true", "True", "false", "null", "Null", "~", "<<",
		"0", "1", "-1", "-0", "+1", "007", "0x1F", "0o17", "0b11", "1_000", "12345678901234567890", "1.5",
		".5", ".inf", "-.inf", ".nan", "1e3", "1e", "2024-01-02", "2024-1-2T3:4:5Z", "1234-x", "10.0.0.0/8",
		"10.1.2.3", "100m", "1Gi", "-foo", "-", "--", "---", "...", "a:b", "a :b", "a#b", "a #b", "http://x:80/y",
		"'q'", "'it''s'", "''", `"d"`, `"e\tf"`, `"\u00e9"`, `"\x41"`, `"\/"`, `"<&>"`, `"a\"b"`, "é", "ﬀ",
		"[]", "{}", "[a, b]", "[a,b]", "[ a ]", "{a: b}", "{a: b, c: [d, {e: f}]}", "{a:b}", "[a: b]", "[a, ]",
		"{a: 1, a: 2}", "[x:1]", "[-1, -a]", "&x a", "*x", "!!str a", "|", ">", "? a", "%x", "@x", "`x`",
		"a, b", "a]", "a}", "#", "a #", "", " ",
	}
	keys := []string{"a", "b", "c", "kind", "Kind", "1", "y", "'a'", `"b"`, "a b", "a:b", "-a", "~", "null", "<<", "é", "'<<'"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	var block func(b *strings.Builder, indent, depth int, inSeq bool)
	block = func(b *strings.Builder, indent, depth int, inSeq bool) {
		pad := strings.Repeat(" ", indent)
		n := 1 + rng.IntN(3)
		seq := rng.IntN(3) == 0
		for i := range n {
			first := inSeq && i == 0
			if !first {
				b.WriteString(pad)
			}
			if rng.IntN(20) == 0 {
				b.WriteString("# c\n" + pad)
			}
			if seq {
				b.WriteString("- ")
			} else {
				b.WriteString(pick(keys) + ":")
			}
			switch r := rng.IntN(10); {
			case depth < 4 && r < 3:
				b.WriteString("\n")
				child := indent + []int{0, 1, 2, 4}[rng.IntN(4)]
				if seq && child == indent {
					child += 2
				}
				block(b, child, depth+1, false)
			case depth < 4 && r == 3 && !seq:
				// A sequence at the key's indentation.
				b.WriteString("\n" + pad + "- ")
				block(b, indent+2, depth+1, true)
			case depth < 4 && r == 4 && seq:
				block(b, indent+2, depth+1, true)
			default:
				if !seq || rng.IntN(2) == 0 {
					b.WriteString(" ")
				}
				b.WriteString(pick(scalars))
				if rng.IntN(8) == 0 {
					b.WriteString(" # c")
				}
				b.WriteString("\n")
			}
		}
	}
	accepted, n := 0, 20000
	for range n {
		var b strings.Builder
		if rng.IntN(10) == 0 {
			b.WriteString("---\n")
		}
		block(&b, []int{0, 0, 0, 2}[rng.IntN(4)], 0, false)
		doc := []byte(b.String())
		if got, ok := yamlToJSON(doc); ok {
			accepted++
			checkSame(t, doc, got)
		}
	}
	t.Logf("%d of %d random documents accepted", accepted, n)
}
