package agenttest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

// Task is an Agent Task created through the fixture, owned by whoever
// created it: [Task.Release] revokes it unless it was used. It embeds
// the Backend API's [agenttask.Task], so ID and URL (the credential:
// open it once, never log it) are at hand; it prints redacted.
type Task struct {
	*agenttask.Task

	client *agenttask.Client

	mu       sync.Mutex
	used     bool
	released bool
}

// CreateTask creates an Agent Task for the user and redirect the options
// and the environment name (as for [SignIn]) without opening it, for
// code that uses a task URL itself (to check that a revoked or used URL
// does not sign in, say). It is the error-returning core of [NewTask];
// the caller owns the task and must call [Task.Release].
func CreateTask(ctx context.Context, opts ...Option) (*Task, error) {
	s, err := runSuite()
	if err != nil {
		return nil, err
	}
	p := &Page{suite: s, opts: newOptions(opts), appURL: s.appURL()}
	tg, err := p.resolveTarget(p.opts)
	if err != nil {
		return nil, err
	}
	return p.create(ctx, p.opts, tg)
}

// runSuite is the test binary's suite under [Main], else a suite over a
// fresh environment snapshot (a plain program).
func runSuite() (*suite, error) {
	if r, err := currentRun(); err == nil {
		return r.suite, nil
	}
	env, err := agenttask.LoadEnv()
	if err != nil {
		return nil, err
	}
	return newSuite(env), nil
}

// markUsed records that the browser reached the task's redirect, so the
// ticket was spent and there is nothing to revoke.
func (t *Task) markUsed() {
	t.mu.Lock()
	t.used = true
	t.mu.Unlock()
}

// Release revokes the task unless it is known to be used. A task Clerk
// says is no longer pending (used, revoked, expired) is what cleanup
// wants, so that is no error. It is safe to call twice and on nil.
func (t *Task) Release(ctx context.Context) error {
	if t == nil || t.Task == nil {
		return nil
	}
	t.mu.Lock()
	skip := t.used || t.released || t.client == nil
	t.released = true
	t.mu.Unlock()
	if skip {
		return nil
	}
	_, err := t.client.Revoke(ctx, t.ID)
	if err == nil || errors.Is(err, agenttask.ErrTaskNotPending) {
		return nil
	}
	return fmt.Errorf("agenttest: cleanup: revoke unused task %s: %w", t.ID, err)
}
