// Package clerkid checks the Clerk ids a caller passes before they reach
// a request path or a file.
package clerkid

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/agenttest/agenttest/internal/redact"
)

// MaxLength bounds a Clerk id; Clerk's are about 30 characters.
const MaxLength = 128

// Valid reports whether id could be a Clerk id: 1 to MaxLength letters,
// digits, '_' and '-'.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLength {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Op checks id and returns the operation naming it, "revoke agent task
// agttsk_…". An id that is empty or could change a request path fails,
// and the error does not repeat it: a caller may have passed something
// secret by mistake, such as a task URL instead of a task id.
func Op(op, what, id string) (string, error) {
	switch {
	case id == "":
		return "", fmt.Errorf("%s: the %s id is empty: pass the id Clerk returned", op, what)
	case strings.Contains(id, "://"):
		return "", fmt.Errorf("%s: the %s id is a URL (not shown: it may be a sign-in credential): pass the id Clerk returned, not a URL", op, what)
	}
	if !Valid(id) {
		return "", fmt.Errorf("%s: the %s id (%d characters, not shown) is not a Clerk id: pass the id Clerk returned (at most %d letters, digits, '_' and '-')", op, what, utf8.RuneCountInString(id), MaxLength)
	}
	return op + " " + redact.Value(id), nil
}
