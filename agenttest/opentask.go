package agenttest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mxschmitt/playwright-go"
)

// OpenTask opens the URL of a task the test created itself (see
// [NewTask] and [NewTaskContext]) in the page, for tests that check what a
// task URL does: that a revoked or used one signs nobody in, say. It
// navigates once, never retrying (a task URL is single-use), with the
// Frontend API's requests carrying the Testing Token as in
// [Page.SignIn], and returns once the navigation has committed: the
// page then shows where the task URL led, a signed-in app or Clerk's
// refusal. A refusal (a used, revoked or expired task) is not an error:
// check the outcome with [ExpectSignedOut] or [ExpectSignedIn].
//
// The task URL is a credential: it is never returned, logged or printed.
// An error names the task by its id and has every secret redacted
// (Playwright's own messages quote the URL they navigated to); the page's
// artifacts redact the URL too.
//
// Opening the URL may spend the ticket, and a spent ticket may have made
// a session: the task's [Task.Release] revokes the task if it is still
// pending, and otherwise finds and revokes the sessions it created.
func (p *Page) OpenTask(ctx context.Context, task *Task) error {
	if task == nil || task.Task == nil {
		return errors.New("agenttest: open task: no task: create one with agenttest.NewTask or agenttest.NewTaskContext")
	}
	fail := func(step string, err error) error {
		return &redactedError{
			msg:  fmt.Sprintf("agenttest: open task %s: %s: %s", task.ID, step, oneLine(p.artifactRedactor().String(err.Error()))),
			kind: playwrightKind(err),
		}
	}
	if p == nil || p.Page == nil {
		return fmt.Errorf("agenttest: open task %s: the page was not opened: use agenttest.NewPage, agenttest.NewPageContext or Browser.NewPage", task.ID)
	}
	p.secrets.AddURL(task.URL())
	if p.suite != nil {
		p.suite.secrets.AddURL(task.URL())
	}
	if task.client != nil && p.suite != nil {
		tctx, cancel := p.opts.stepContext(ctx)
		token, err := p.suite.testingToken(tctx, task.client)
		err = timedOut(tctx, err)
		cancel()
		if err != nil {
			return fail("testing token", err)
		}
		if err := p.routeFrontendAPI(token, task.URL()); err != nil {
			return fail("testing token", err)
		}
	}
	timeout := p.opts.timeout
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < timeout {
		timeout = time.Until(deadline)
	}
	if err := ctx.Err(); err != nil {
		return fail("navigate", err)
	}
	if timeout <= 0 {
		return fail("navigate", context.DeadlineExceeded)
	}
	if _, err := p.Page.Goto(task.URL(), playwright.PageGotoOptions{
		WaitUntil: playwright.WaitUntilStateCommit,
		Timeout:   playwright.Float(float64(timeout.Milliseconds())),
	}); err != nil {
		return fail("navigate", err)
	}
	return nil
}
