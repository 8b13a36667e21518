package plugin

import (
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// progressLine is the live "read 3 namespaces, 120 pods, ..." line on a
// terminal's stderr while a cluster is read. load.Cluster writes each
// update as "\rTEXT" and "\n" when a read is done. Each update is cut to
// the terminal's width, since a line that wraps cannot be rewritten and
// would repeat, and clears what is left of the previous one. The line stays
// open across reads (the network plugin lookup after the main read updates
// it in place) and ends when loading ends or anything else is written to
// stderr, so warnings and errors start a line of their own.
type progressLine struct {
	mu       sync.Mutex
	terminal *os.File
	open     bool
}

// newProgressLine is the progress line for stderr, nil when stderr is not
// a terminal (progress would only clutter a log).
func newProgressLine(stderr io.Writer) *progressLine {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressLine{terminal: f}
}

// Write rewrites the line with one update.
func (p *progressLine) Write(b []byte) (int, error) {
	text := strings.Trim(string(b), "\r\n")
	if text == "" {
		// A read is done; the line ends with the next other write.
		return len(b), nil
	}
	// One column short of the width: some terminals wrap on writing the
	// last one.
	if width, _, err := term.GetSize(int(p.terminal.Fd())); err == nil && width > 1 {
		text = truncateColumns(text, width-1)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = true
	if _, err := io.WriteString(p.terminal, "\r"+text+"\x1b[K"); err != nil {
		return 0, err
	}
	return len(b), nil
}

// end moves past an open progress line, so that what follows starts a line
// of its own. It does nothing on a nil line.
func (p *progressLine) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open {
		p.open = false
		_, _ = io.WriteString(p.terminal, "\n")
	}
}

// afterProgress is stderr where a progress line may be open: every write
// ends that line first.
type afterProgress struct{ line *progressLine }

func (a afterProgress) Write(b []byte) (int, error) {
	a.line.end()
	return a.line.terminal.Write(b)
}

// truncateColumns cuts s to n runes (the progress text is counts and kind
// names, one column per rune).
func truncateColumns(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
