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

// Value shows a plain value as it is and quotes and cuts any other.
func TestValue(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ab", 50_000)
	for in, want := range map[string]string{
		"user_123":                       "user_123",
		"ada@example.com":                "ada@example.com",
		"+15555550101":                   "+15555550101",
		"":                               `""`,
		"user_1\nINJECTED":               `"user_1\nINJECTED"`,
		"a\r\x1b[31mred\u202e":           `"a\r\x1b[31mred\u202e"`,
		"bad\xffutf8":                    `"bad\xffutf8"`,
		strings.Repeat("x", 80):          strings.Repeat("x", 80),
		strings.Repeat("x", 81):          `"` + strings.Repeat("x", 80) + `"… (81 bytes)`,
		long:                             `"` + long[:80] + `"… (100000 bytes)`,
		strings.Repeat("é", 100):         `"` + strings.Repeat("é", 80) + `"… (200 bytes)`,
		strings.Repeat("\n", 100):        `"` + strings.Repeat(`\n`, 80) + `"… (100 bytes)`,
		strings.Repeat("日本", 41):         `"` + strings.Repeat("日本", 40) + `"… (246 bytes)`,
		"x" + strings.Repeat("\xff", 99): `"x` + strings.Repeat(`\xff`, 79) + `"… (100 bytes)`,
	} {
		if got := Value(in); got != want {
			t.Errorf("Value(%.40q) = %.200s, want %.200s", in, got, want)
		}
		if got := Value(in); strings.ContainsAny(got, "\n\r") || !utf8.ValidString(got) || len(got) > 400 {
			t.Errorf("Value(%.40q) = %q: not one valid, short line", in, got)
		}
	}
	if got := Quote("yes"); got != `"yes"` {
		t.Errorf(`Quote("yes") = %s, want "yes" quoted`, got)
	}
}
