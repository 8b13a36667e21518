package e2e

import "testing"

// TestRunWithoutBinaries: without the binaries the suite fails rather than
// report "ok" having run nothing; only NETPOL_E2E_SKIP=1 outside CI skips.
func TestRunWithoutBinaries(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want int
	}{
		{"nothing set: fail", nil, 1},
		{"CI set: fail", map[string]string{"CI": "1"}, 1},
		{"NETPOL_E2E_SKIP=1: skip", map[string]string{"NETPOL_E2E_SKIP": "1"}, 0},
		{"NETPOL_E2E_SKIP=1 in CI: fail", map[string]string{"NETPOL_E2E_SKIP": "1", "CI": "true"}, 1},
		{"NETPOL_E2E_SKIP other than 1: fail", map[string]string{"NETPOL_E2E_SKIP": "yes"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := withoutBinaries(func(k string) string { return tc.env[k] })
			if code != tc.want {
				t.Errorf("exit %d, want %d (%s)", code, tc.want, msg)
			}
		})
	}
}
