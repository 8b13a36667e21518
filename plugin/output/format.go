// Package output renders answers: aligned text for people (colour only on a
// terminal, NO_COLOR respected), JSON and YAML for scripts.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"
	"sigs.k8s.io/yaml"
)

// ValidateFormat accepts "" (text) and the given formats.
func ValidateFormat(format string, allowed ...string) error {
	if format == "" || slices.Contains(allowed, format) {
		return nil
	}
	return fmt.Errorf("unsupported output format %q: want one of %s", format, strings.Join(allowed, ", "))
}

// Data writes v as indented JSON or as YAML.
func Data(w io.Writer, format string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", format, err)
	}
	if format == "yaml" {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return fmt.Errorf("encode yaml: %w", err)
		}
		_, err = w.Write(b)
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// painter colours words when writing to a terminal.
type painter bool

// newPainter colours for a terminal unless NO_COLOR has a value: an empty
// NO_COLOR is as good as unset (no-color.org).
func newPainter(w io.Writer) painter {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return painter(ok && term.IsTerminal(int(f.Fd())))
}

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) green(s string) string { return p.paint("32", s) }
func (p painter) red(s string) string   { return p.paint("31", s) }
func (p painter) bold(s string) string  { return p.paint("1", s) }
