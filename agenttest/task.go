package agenttest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/ledger"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

// Task is an Agent Task created through the fixture, owned by whoever
// created it: [Task.Release] revokes it unless it was used. It embeds
// the Backend API's [agenttask.Task], so ID and URL (the credential:
// open it once, never log it) are at hand; it prints redacted.
type Task struct {
	*agenttask.Task

	client  *agenttask.Client
	untrack func() // forgets the task in the run's in-flight set
	// ledger records the task and what became of it (nil-safe); userID
	// is whom it signs in.
	ledger *ledger.Ledger
	userID string
	// user resolves whom the task signs in (a user id given, or the
	// identifier looked up), to find the session it created.
	user func(context.Context) (string, error)

	mu          sync.Mutex
	used        bool // the browser reached the redirect: the ticket is spent
	sessionKept bool // the session is the page's to revoke, or to keep (KeepSession)
	released    bool
}

// NewTaskContext creates an Agent Task for the user and redirect the
// options and the environment name (as for [SignIn]) without opening
// it, for code that uses a task URL itself (to check that a revoked or
// used URL does not sign in, say). It is the error-returning core of
// [NewTask]; the caller owns the task and must call [Task.Release].
func NewTaskContext(ctx context.Context, opts ...Option) (*Task, error) {
	o, err := resolve(defaults, atTask, opts)
	if err != nil {
		return nil, &SignInError{Step: StepConfig, Err: err}
	}
	s, err := runSuite()
	if err != nil {
		return nil, err
	}
	tg, client, err := resolveAndCheck(ctx, s, o, nil)
	if err != nil {
		return nil, err
	}
	if err := runStarting(); err != nil {
		return nil, tg.failWith(&s.secrets)(StepConfig, err)
	}
	return createTask(ctx, s, o, client, tg)
}

// runSuite is the test binary's suite under [Main], else a suite over a
// fresh environment snapshot (a plain program).
func runSuite() (*suite, error) {
	if r, err := currentRun(); err == nil {
		return r.suite, nil
	}
	env, err := loadEnv()
	if err != nil {
		return nil, err
	}
	return newSuite(env), nil
}

// loadEnv is config.LoadEnv, its error said as the module's.
func loadEnv() (config.Env, error) {
	env, err := config.LoadEnv()
	if err != nil {
		return env, fmt.Errorf("agenttest: %w", err)
	}
	return env, nil
}

// markUsed records that the browser reached the task's redirect, so the
// ticket was spent and there is nothing to revoke.
func (t *Task) markUsed() {
	t.mu.Lock()
	t.used = true
	t.mu.Unlock()
}

// keepSession records that the session this task created is the page's
// to revoke (or to keep, under KeepSession), not the task's.
func (t *Task) keepSession() {
	t.mu.Lock()
	t.sessionKept = true
	t.mu.Unlock()
}

// Release leaves nothing of the task behind. A task still pending is
// revoked. A task whose ticket was spent (Clerk says it is no longer
// pending, or the browser reached its redirect) may have created a
// session that nobody learnt of, because the sign-in failed after the
// visit, or a test opened the URL itself: Release finds the active
// sessions of the user whose actor is this task and revokes them, unless
// a page owns that session. It is safe to call twice and on nil.
func (t *Task) Release(ctx context.Context) error {
	if t == nil || t.Task == nil {
		return nil
	}
	t.mu.Lock()
	skip := t.released || t.client == nil
	used, kept := t.used, t.sessionKept
	t.released = true
	t.mu.Unlock()
	if skip {
		return nil
	}
	if t.untrack != nil {
		defer t.untrack()
	}
	if !used {
		_, err := t.client.Revoke(ctx, t.ID)
		switch {
		case err == nil:
			_ = t.ledger.Closed(t.ID)
			return nil // it was pending: no session was made
		case !errors.Is(err, agenttask.ErrTaskNotPending) && !errors.Is(err, agenttask.ErrTaskNotFound):
			return fmt.Errorf("agenttest: cleanup: revoke unused task %s: %w", t.ID, err)
		}
		// Not pending: used (or expired). Its session may be live. Not
		// found (Clerk no longer knows a task it made): nothing to
		// revoke, but a session it made may still be live too.
	}
	if kept || t.user == nil {
		return nil
	}
	if err := t.revokeSessions(ctx); err != nil {
		return err
	}
	_ = t.ledger.Closed(t.ID)
	return nil
}

// revokeSessions revokes every active session the task created.
func (t *Task) revokeSessions(ctx context.Context) error {
	userID, err := t.user(ctx)
	if err != nil {
		return fmt.Errorf("agenttest: cleanup: find the sessions of task %s: %w", t.ID, err)
	}
	sessions, err := t.client.TaskSessions(ctx, userID, t.ID)
	if err != nil {
		return fmt.Errorf("agenttest: cleanup: find the sessions of task %s: %w", t.ID, err)
	}
	var errs []error
	for _, s := range sessions {
		if err := revokeSession(ctx, t.client, s.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		_ = t.ledger.Closed(s.ID)
	}
	return errors.Join(errs...)
}
