package output

import (
	"bufio"
	"io"
	"os"

	"golang.org/x/term"
)

// Buffered returns the writer to print to f through, and the function that
// writes out what it holds; call it once, before exiting. Output to a file
// or pipe is buffered, so that large answers are not written in many small
// system calls. A terminal is returned as is, so that the renderers still
// see it and colour their words; they write each answer in a few pieces.
func Buffered(f *os.File) (io.Writer, func() error) {
	if term.IsTerminal(int(f.Fd())) {
		return f, func() error { return nil }
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	return bw, bw.Flush
}
