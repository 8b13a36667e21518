package output

import (
	"fmt"
	"strings"
)

// The pieces every "-o markdown" is built of, so that the pull-request
// comments of diff, test, audit and replay read alike on GitHub and GitLab:
// a bold one-line summary, a table capped at mdLimit rows with a pointer to
// -o json for the rest, and a collapsible block per row saying why.

// mdLimit is how many rows a Markdown table shows: a PR comment with
// thousands of rows is not read, and GitHub cuts comments at 65,536
// characters.
const mdLimit = 50

// mdHeading is the comment's first line: what ran, and the one-line summary.
func mdHeading(b *strings.Builder, command, summary string) {
	fmt.Fprintf(b, "**kubectl netpol %s**: %s\n", command, mdText(summary))
}

// mdTable writes a table's header row and its separator, after a blank
// line.
func mdTable(b *strings.Builder, columns ...string) {
	fmt.Fprintf(b, "\n| %s |\n|%s\n", strings.Join(columns, " | "), strings.Repeat("---|", len(columns)))
}

// mdRow writes one table row of cells already escaped.
func mdRow(b *strings.Builder, cells ...string) {
	fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
}

// mdMore says how many rows the cap left out, and where they all are.
func mdMore(b *strings.Builder, total int) {
	if total > mdLimit {
		fmt.Fprintf(b, "\nand %d more (see `-o json`)\n", total-mdLimit)
	}
}

// mdDetails writes a collapsed block: summary is plain text, body
// preformatted text shown as is.
func mdDetails(b *strings.Builder, summary, body string) {
	fmt.Fprintf(b, "\n<details><summary>%s</summary>\n\n%s</details>\n", mdHTMLReplacer.Replace(summary), mdFenced(body))
}

// mdFenced is preformatted text as a fenced block, whose fence is longer
// than any run of backticks in it.
func mdFenced(body string) string {
	fence := "```"
	for strings.Contains(body, fence) {
		fence += "`"
	}
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	return fence + "\n" + body + fence + "\n"
}

// mdCode is a value as a code span in a table cell: names and field
// paths, which Markdown must not format. A "|" would end the cell even
// there (GitHub and GitLab take "\|"), a backtick would end the span and a
// line break the row.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	return "`" + mdCell(s) + "`"
}

// mdCell keeps a value from breaking a Markdown table or code span.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "`", "'", "\r", "", "\n", " ").Replace(s)
}

// mdText is prose in a table cell or line: characters Markdown would take
// for emphasis, links, headings or HTML are escaped, and line breaks
// become <br>, which keeps a table row on one line. (">" quotes only at
// the start of a line, where no cell or summary text starts; "[x]" is a
// link only with a definition, which none of these comments has, or as
// "[x](y)", whose "](" is escaped: field paths keep their brackets.)
func mdText(s string) string {
	return mdTextReplacer.Replace(strings.TrimRight(s, "\n"))
}

var mdTextReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "](", `]\(`, "|", `\|`, "~", `\~`, "#", `\#`,
	"<", "&lt;", "&", "&amp;", "\r", "", "\n", "<br>",
)

// mdHTMLReplacer keeps text inside an HTML element (<summary>) from
// opening a tag or an entity.
var mdHTMLReplacer = strings.NewReplacer("<", "&lt;", "&", "&amp;", "\r", "", "\n", " ")
