package output

// Table says how the tables of the text outputs are printed, as kubectl's
// table printer takes it: NoHeaders (--no-headers) leaves out the header
// row, for scripts that read the rows.
type Table struct {
	NoHeaders bool
}
