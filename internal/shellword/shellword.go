// Package shellword writes a string as one word of a POSIX shell
// command line: for the commands agenttest prints for a person to paste
// and the scripts it writes.
package shellword

import (
	"regexp"
	"strings"
)

// plainRE matches a word a shell reads as itself.
var plainRE = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`)

// Quote returns s as one shell word: s itself when every character is
// plain, else s in single quotes (a quote inside as '\”).
func Quote(s string) string {
	if plainRE.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
