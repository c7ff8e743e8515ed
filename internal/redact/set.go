package redact

import (
	"net/url"
	"slices"
	"strings"
	"sync"
)

// minQueryValue is the length from which a query value of a secret URL
// (a ticket, a handshake) is redacted on its own wherever it appears.
const minQueryValue = 8

// Set is the one redaction pipeline of the module: the secrets it was
// given (each with its replacement), then everything [Text] removes
// (secret keys, credential parameters, URLs' query values). The client
// scrubs errors and logs with it; the fixture scrubs artifacts with it.
// The zero Set is ready to use; it is safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	pairs []pair
	rep   *strings.Replacer // built lazily from pairs; nil when stale
}

// pair replaces one secret.
type pair struct{ secret, replacement string }

// Add registers a secret replaced by Placeholder. Empty strings are
// ignored.
func (s *Set) Add(secrets ...string) {
	for _, secret := range secrets {
		s.add(secret, Placeholder)
	}
}

// AddURL registers a secret URL (a task URL): the whole URL, raw and
// query-escaped, becomes its [URL] form, and each of its query values
// and its fragment (the ticket) becomes Placeholder wherever it appears
// alone.
func (s *Set) AddURL(raw string) {
	if raw == "" {
		return
	}
	safe := URL(raw)
	s.add(raw, safe)
	s.add(url.QueryEscape(raw), url.QueryEscape(safe))
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= minQueryValue {
				s.add(v, Placeholder)
				s.add(url.QueryEscape(v), Placeholder)
			}
		}
	}
	if len(u.Fragment) >= minQueryValue {
		s.add(u.Fragment, Placeholder)
	}
}

// AddSet registers every secret of other, with its replacement, so a
// redaction can cover what several owners know (a page's secrets and
// every task of the run).
func (s *Set) AddSet(other *Set) {
	if other == nil || other == s {
		return
	}
	other.mu.Lock()
	pairs := slices.Clone(other.pairs)
	other.mu.Unlock()
	for _, p := range pairs {
		s.add(p.secret, p.replacement)
	}
}

func (s *Set) add(secret, replacement string) {
	if secret == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pairs {
		if p.secret == secret {
			return // known already: the first replacement stands
		}
	}
	s.pairs = append(s.pairs, pair{secret, replacement})
	s.rep = nil
}

// Known replaces only the registered secrets, longest first, so a URL
// is replaced whole before the ticket inside it.
func (s *Set) Known(text string) string {
	if s == nil {
		return text
	}
	s.mu.Lock()
	if s.rep == nil {
		sorted := slices.Clone(s.pairs)
		slices.SortStableFunc(sorted, func(a, b pair) int { return len(b.secret) - len(a.secret) })
		var args []string
		seen := map[string]bool{}
		for _, p := range sorted {
			if !seen[p.secret] {
				seen[p.secret] = true
				args = append(args, p.secret, p.replacement)
			}
		}
		s.rep = strings.NewReplacer(args...)
	}
	rep := s.rep
	s.mu.Unlock()
	return rep.Replace(text)
}

// String scrubs text: the registered secrets, then what [Text] removes.
func (s *Set) String(text string) string {
	return Text(s.Known(text))
}
