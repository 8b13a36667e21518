package output

import "strconv"

// plural counts n things in words: plural(1, "pod", "pods") is "1 pod",
// plural(2, "pod", "pods") is "2 pods". Every count a renderer prints goes
// through it.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
