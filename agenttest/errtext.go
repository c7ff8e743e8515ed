package agenttest

import (
	"context"
	"errors"
	"fmt"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/mxschmitt/playwright-go"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

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
