package redact

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Quote cuts a long value between characters, on one line.
func TestQuoteCutsOnCharacterBoundary(t *testing.T) {
	for _, r := range []string{"é", "漢", "😀"} {
		in := "x" + strings.Repeat(r, 200)
		got := Quote(in)
		want := `"x` + strings.Repeat(r, QuoteLimit-1) + `"… (` + strconv.Itoa(len(in)) + " bytes)"
		if got != want || !utf8.ValidString(got) {
			t.Errorf("Quote(%.20q…) = %q, want %q", in, got, want)
		}
	}
	if got := Quote("ada@example.com"); got != `"ada@example.com"` {
		t.Errorf("Quote = %s", got)
	}
	if got := Quote("a\nb"); got != `"a\nb"` {
		t.Errorf("Quote of two lines = %s, want one line", got)
	}
}
