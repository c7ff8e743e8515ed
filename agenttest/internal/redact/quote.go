package redact

import (
	"strconv"
	"unicode/utf8"
)

// QuoteLimit is how many characters of a caller-given value (an id, an
// identifier, a URL, an environment value) an error message shows.
const QuoteLimit = 80

// Quote shows a caller-given value in an error message on one line and
// bounded: in Go's quoted form (newlines, control and invisible
// characters escaped, invalid UTF-8 as \x bytes), its first QuoteLimit
// characters cut on a character boundary and followed by "…" and the
// value's length in bytes: "abc\ndef"… (100000 bytes). Pass a value that
// may hold a credential through Text or URL first.
func Quote(s string) string {
	i, n := 0, 0
	for i < len(s) && n < QuoteLimit {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	if i == len(s) {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:i]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
