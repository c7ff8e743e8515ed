package agenttest

import (
	"fmt"
	"strings"

	"github.com/agenttest/agenttest/agenttest/config"
)

// TraceMode says when a page's Playwright trace is recorded and kept,
// as Playwright's own `trace` setting does: [TraceOff],
// [TraceRetainOnFailure] (the default) or [TraceOn], chosen with
// [WithTrace] or AGENTTEST_TRACE. Recording costs time on every test
// (see `make bench-ratio`); keeping costs disk.
type TraceMode string

// The trace modes. The default is [TraceRetainOnFailure], or
// AGENTTEST_TRACE when set.
const (
	// TraceOff records no trace.
	TraceOff TraceMode = "off"
	// TraceRetainOnFailure records a trace for every page and keeps it
	// in the artifacts of a failed test only.
	TraceRetainOnFailure TraceMode = "retain-on-failure"
	// TraceOn records a trace for every page and keeps it for every
	// test, passed or failed, in the test's artifacts folder.
	TraceOn TraceMode = "on"
)

// WithTrace sets when the page's Playwright trace is recorded and kept
// (default [TraceRetainOnFailure], or AGENTTEST_TRACE). A kept trace is
// redacted like every artifact and opens in Playwright's trace viewer.
// For the calls that open a page: SignIn, NewPage.
func WithTrace(mode TraceMode) Option {
	return option("agenttest.WithTrace", atPageMaking, func(o *options) { o.trace = mode })
}

// parseTraceMode checks a mode given by option or variable.
func parseTraceMode(v string) (TraceMode, error) {
	switch m := TraceMode(strings.ToLower(strings.TrimSpace(v))); m {
	case TraceOff, TraceRetainOnFailure, TraceOn:
		return m, nil
	}
	return "", fmt.Errorf("trace mode %q: use off, retain-on-failure or on", v)
}

// traceMode is the mode a page records with: the option, else
// AGENTTEST_TRACE, else retain-on-failure.
func (s *suite) traceMode(o options) (TraceMode, error) {
	if o.trace != "" {
		m, err := parseTraceMode(string(o.trace))
		if err != nil {
			return "", fmt.Errorf("agenttest.WithTrace: %w", err)
		}
		return m, nil
	}
	if s == nil {
		return TraceRetainOnFailure, nil
	}
	if v, ok := s.env.Lookup(config.VarTrace); ok && v != "" {
		m, err := parseTraceMode(v)
		if err != nil {
			return "", fmt.Errorf("%s: %w", config.VarTrace, err)
		}
		return m, nil
	}
	return TraceRetainOnFailure, nil
}
