package output

import (
	"os"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/internal/ptytest"
)

// TestColourFollowsNoColor: on a terminal, only a NO_COLOR with a value
// turns colour off (no-color.org); an empty one does not.
func TestColourFollowsNoColor(t *testing.T) {
	term, _ := ptytest.Open(t, 80)
	for _, tc := range []struct {
		name    string
		noColor *string
		want    painter
	}{
		{"unset NO_COLOR keeps colour", nil, true},
		{"empty NO_COLOR keeps colour", ptr.To(""), true},
		{"NO_COLOR=1 turns colour off", ptr.To("1"), false},
		{"NO_COLOR=false turns colour off too", ptr.To("false"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", "")
			if tc.noColor == nil {
				os.Unsetenv("NO_COLOR")
			} else {
				os.Setenv("NO_COLOR", *tc.noColor)
			}
			if got := newPainter(term); got != tc.want {
				t.Errorf("colour = %v, want %v", got, tc.want)
			}
		})
	}
	file, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if newPainter(file) {
		t.Error("colour in a file, which is not a terminal")
	}
}
