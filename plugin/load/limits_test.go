package load

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// endless is standard input that never ends, counting what is read.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	e.read += int64(len(p))
	return len(p), nil
}

// lowerInputLimit sets maxInputBytes for one test.
func lowerInputLimit(t *testing.T, n int64) {
	old := maxInputBytes
	maxInputBytes = n
	t.Cleanup(func() { maxInputBytes = old })
}

func TestReadingStopsAtTheInputLimit(t *testing.T) {
	lowerInputLimit(t, 1<<20)
	in := &endless{}
	_, err := Manifests(Source{Filenames: []string{"-"}, Stdin: in}, io.Discard)
	if diff := cmp.Diff("standard input is larger than 1 MiB, the most kubectl netpol reads from one file or standard input", fmt.Sprint(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if in.read > 2<<20 {
		t.Errorf("read %d bytes of standard input, want no more than the limit and a buffer", in.read)
	}

	dir := writeFiles(t, map[string]string{"big.yaml": namespaceA + strings.Repeat("# padding\n", 1<<17)})
	_, err = Manifests(Source{Filenames: []string{dir + "/big.yaml"}}, io.Discard)
	if diff := cmp.Diff(dir+"/big.yaml is larger than 1 MiB, the most kubectl netpol reads from one file or standard input", fmt.Sprint(err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestTheLimitsAreTheDocumentedOnes(t *testing.T) {
	if MaxObjectBytes != 3*1024*1024 || MaxInputBytes != 1024*1024*1024 {
		t.Errorf("limits %d and %d; the README says 3 MiB and 1 GiB", MaxObjectBytes, MaxInputBytes)
	}
	if got := byteSize(MaxInputBytes); got != "1 GiB" {
		t.Errorf("byteSize(MaxInputBytes) = %q", got)
	}
}

func TestObjectsLargerThanTheAPIServerAcceptsAreErrors(t *testing.T) {
	pod := func(name string, annotation int) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":"default","annotations":{"a":%q}}}`, name, strings.Repeat("x", annotation))
	}
	list := func(items ...string) string {
		return `{"apiVersion":"v1","kind":"List","items":[` + strings.Join(items, ",") + `]}`
	}
	big := MaxObjectBytes
	for _, tc := range []struct{ name, file, data, want string }{
		{"a YAML document", "a.yaml", namespaceA + "---\n" + pod("p", big), "document 2 of DIR/a.yaml is larger than the API server accepts (3 MiB)"},
		{"a JSON object", "a.json", pod("p", big), "document 1 of DIR/a.json is larger than the API server accepts (3 MiB)"},
		{"a JSON stream's second object", "a.json", pod("p", 1) + "\n" + pod("q", big), "document 2 of DIR/a.json is larger than the API server accepts (3 MiB)"},
		{"an item of a List", "a.json", list(pod("p", 1), pod("q", big)), "item 2 of document 1 of DIR/a.json is larger than the API server accepts (3 MiB)"},
		{"a List of small items larger than the limit", "a.json", list(pod("p", big/2), pod("q", big/2), pod("r", big/2)), ""},
		{"an object just under the limit", "a.json", pod("p", big-200), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tc.file: tc.data})
			_, err := Manifests(Source{Filenames: []string{dir}}, io.Discard)
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), dir, "DIR")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
