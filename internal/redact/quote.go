package redact

import (
	"strconv"
	"strings"
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

// Value shows a caller-given id or identifier in an error message, on
// one line and bounded: a value made only of letters, digits and
// "_.@+-", of at most QuoteLimit characters, as it is (user_123,
// ada@example.com); anything else as [Quote] shows it.
func Value(s string) string {
	if s != "" && len(s) <= QuoteLimit && strings.IndexFunc(s, notPlain) < 0 {
		return s
	}
	return Quote(s)
}

// notPlain reports a character that makes Value quote a value.
func notPlain(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '_' || r == '.' || r == '@' || r == '+' || r == '-')
}
