package plugin

import (
	"fmt"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// warnings is the one way every command tells the user a warning: on
// stderr, "Warning: MESSAGE", each message once per command run, in the
// order given. A warning the base and the what-if state share, that the
// snapshot and an answer both carry, or that several answers of one run
// carry (test) is read once.
type warnings struct {
	printed map[string]bool
	// quiet is set by -q: only warnings about the input are printed (and
	// the loader's about skipped files, which do not come here), since
	// input is never left out silently.
	quiet bool
}

// inputWarning are the kinds -q does not silence: what of the input could
// not be read, and what the network plugin check found. Input is never
// left out silently.
var inputWarning = map[query.WarningKind]bool{query.WarnUnreadable: true, query.WarnNetworkPlugin: true}

// silenceWarnings stops the warnings of this run (-q) but those about the
// input (inputWarning).
func (g *globalOptions) silenceWarnings() { g.warned.quiet = true }

// warn prints the warnings not printed yet in this run.
func (g *globalOptions) warn(ws ...query.Warning) {
	if g.warned.printed == nil {
		g.warned.printed = map[string]bool{}
	}
	for _, w := range ws {
		if g.warned.quiet && !inputWarning[w.Kind] {
			continue
		}
		if g.warned.printed[w.Message] {
			continue
		}
		g.warned.printed[w.Message] = true
		fmt.Fprintf(g.ErrOut, "Warning: %s\n", w.Message)
	}
}

// warnings are the warnings of the state an answer over the whole
// snapshot (map, diff, audit) was judged on, base then what-if: owner
// cycles, host-network pods, cluster policies that fail closed.
func (l *loaded) warnings() []query.Warning {
	return append(append([]query.Warning(nil), l.base.Warnings...), l.snap.Warnings...)
}
