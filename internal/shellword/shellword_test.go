package shellword

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain/path-1.2_x:y@z%+=,": "plain/path-1.2_x:y@z%+=,",
		"":                         "''",
		"two words":                "'two words'",
		"it's":                     `'it'\''s'`,
		"$HOME;rm":                 "'$HOME;rm'",
		"é":                        "'é'",
		"/tmp/mod-1/x.y":           "/tmp/mod-1/x.y",
		"$HOME/`x`":                "'$HOME/`x`'",
		"/tmp/café":                "'/tmp/café'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %q, want %q", in, got, want)
		}
	}
}

// A shell reads every quoted word back as the string it was.
func TestQuoteRoundTripsThroughSh(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a b", "it's", `$(x) "y" \z`, "new\nline", ""} {
		out, err := exec.Command("sh", "-c", "printf %s "+Quote(s)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != s {
			t.Errorf("sh read %q back as %q", s, out)
		}
	}
}
