package query

import (
	"strings"
	"testing"
)

// TestAuditChecksHaveHelp: every check has help text, written as
// sentences, and no help is kept for a check that does not exist.
func TestAuditChecksHaveHelp(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range AuditChecks() {
		ids[c.ID] = true
		h := c.Help()
		if h == "" || !strings.HasSuffix(h, ".") || strings.Contains(h, "\n") {
			t.Errorf("check %s: help %q, want sentences on one line", c.ID, h)
		}
	}
	for id := range auditHelp {
		if !ids[id] {
			t.Errorf("help for %q, which is not a check", id)
		}
	}
}
