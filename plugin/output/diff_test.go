package output

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// TestDiffWrittenAsRendered checks that a diff written a change at a time,
// as JSON and as text, is what it was whole: JSON byte for byte as
// json.MarshalIndent writes it (Data), and text the same whatever its
// size, with names that Visible escapes.
func TestDiffWrittenAsRendered(t *testing.T) {
	tcp80 := query.SinglePort(corev1.ProtocolTCP, 80)
	amb := query.SinglePort(corev1.ProtocolUDP, 53)
	for _, n := range []int{0, 1, 3, 5000} {
		res := &query.DiffResult{TypeMeta: query.Document(query.KindDiffResult), SchemaVersion: query.SchemaVersion, Changed: n > 0, Changes: []query.Change{},
			Warnings: []query.Warning{{Message: `"changes": [] <in> a & warning`}}}
		for i := range n {
			res.Changes = append(res.Changes, query.Change{
				Source: fmt.Sprintf("deployment a/web-%d <b>", i), Destination: "pod \x1b[2J/db",
				After: tcp80, NowAllowed: tcp80, AllowedBy: []string{"ingress allowed by a/allow & more"}, Ambiguous: &amb,
			})
			res.Summary.Pairs++
		}
		var whole, streamed strings.Builder
		if err := Data(&whole, "json", res); err != nil {
			t.Fatal(err)
		}
		if err := Diff(&streamed, "json", res); err != nil {
			t.Fatal(err)
		}
		if whole.String() != streamed.String() {
			t.Errorf("%d changes: JSON written a change at a time differs from json.MarshalIndent's:\n%s\nwant:\n%s", n, head(streamed.String()), head(whole.String()))
		}
		var text strings.Builder
		if err := Diff(&text, "", res); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(text.String(), " -> "), n; got != want {
			t.Errorf("%d changes: text lists %d", n, got)
		}
		if strings.Contains(text.String(), "\x1b") {
			t.Errorf("%d changes: text holds an escape character", n)
		}
	}
}

func head(s string) string { return s[:min(len(s), 600)] }
