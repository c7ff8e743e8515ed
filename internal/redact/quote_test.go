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

// A secret added twice is kept once (pages add their tokens from
// several places; the set stays as long as what it knows).
func TestSetKeepsASecretOnce(t *testing.T) {
	var s Set
	s.Add("s3cr3t-value")
	s.AddURL("https://fapi.example/v1/agents/tasks?ticket=s3cr3t-ticket")
	once := len(s.pairs)
	s.Add("s3cr3t-value")
	s.AddURL("https://fapi.example/v1/agents/tasks?ticket=s3cr3t-ticket")
	if n := len(s.pairs); n != once {
		t.Fatalf("%d pairs after adding the same again, want %d", n, once)
	}
	if got := s.Known("a s3cr3t-value b"); strings.Contains(got, "s3cr3t") {
		t.Errorf("Known = %q", got)
	}
}
