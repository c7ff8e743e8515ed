package agenttest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/mxschmitt/playwright-go"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

// errPrefix leads every error of the module's packages.
const errPrefix = "agenttest: "

// unprefixedError shows an error under another error's prefix: its text
// without the leading "agenttest: " (and the words the outer error
// already says, such as its step), so that no prefix reads twice.
// errors.Is and errors.As see the original.
type unprefixedError struct {
	msg string
	err error
}

// Error returns the trimmed text.
func (e *unprefixedError) Error() string { return e.msg }

// Unwrap returns the original error.
func (e *unprefixedError) Unwrap() error { return e.err }

// unprefix returns err shown without its leading "agenttest: " and then
// without each of then in turn where its text starts with it (a step
// such as "config: " that the wrapping error names already). It returns
// err itself when there is nothing to trim, and nil for nil.
func unprefix(err error, then ...string) error {
	if err == nil {
		return nil
	}
	msg := trimPrefixes(err.Error(), then...)
	if msg == err.Error() {
		return err
	}
	return &unprefixedError{msg: msg, err: err}
}

// trimPrefixes trims "agenttest: " and then each of then, in turn, from
// the start of msg.
func trimPrefixes(msg string, then ...string) string {
	msg = strings.TrimPrefix(msg, errPrefix)
	for _, p := range then {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// unknownUser is a task creation's refusal err said as what it means
// for the caller: Clerk has no user userID in this instance (the 404
// that matches agenttask.ErrUserNotFound, agent_task_subject_not_found:
// "The user of the agent task no longer exists"), so every sign-in as
// that user fails; it wraps err. It is nil for any other error.
func unknownUser(err error, userID string) error {
	var apiErr *agenttask.APIError
	if !errors.Is(err, agenttask.ErrUserNotFound) || !errors.As(err, &apiErr) {
		return nil
	}
	return &redactedError{
		msg:  fmt.Sprintf("no user %s in this Clerk instance (%s): check the user id given to agenttest.AsUser or %s against the instance's users (Clerk Dashboard → Users)", userID, apiErr.Summary(), config.VarUserID),
		kind: err,
	}
}

// redactedError is an error whose message was redacted: the original,
// which may quote a secret, is dropped, and only its kind (a timeout,
// a closed target) is kept for errors.Is.
type redactedError struct {
	msg  string
	kind error
}

// Error returns the redacted message.
func (e *redactedError) Error() string { return e.msg }

// Unwrap returns the kind of the original error, or nil.
func (e *redactedError) Unwrap() error { return e.kind }

// playwrightKind returns the Playwright or context sentinel err matches,
// or nil.
func playwrightKind(err error) error {
	for _, kind := range []error{playwright.ErrTimeout, playwright.ErrTargetClosed, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	return nil
}
