package agenttest

import (
	"context"
	"errors"
	"fmt"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/internal/redact"
)

// signInPlan is what a sign-in settles before it needs a page: the
// client, whom to sign in and where to land, the Testing Token, and
// either a fresh Agent Task or, under [ReuseSignIn], the signed-in
// state of an earlier sign-in to seed the page with. Preparing it makes
// every Backend API call of a sign-in, so [SignIn] prepares while the
// browser makes the context and page.
type signInPlan struct {
	client   *agenttask.Client
	target   target
	wantUser string // the user id (looked up for an identifier)
	token    *agenttask.TestingToken

	task   *Task          // a task created for this sign-in, owned by the page
	shared *sharedSignIn  // the state to seed (ReuseSignIn), or nil
	lead   *sharedPending // this sign-in is the first of its key: it publishes its state
	key    reuseKey
}

// publish ends the plan's part in sharing: a leading sign-in hands its
// state (nil when it failed) to the tests waiting for it.
func (pl *signInPlan) publish(state *sharedSignIn) {
	if pl == nil || pl.lead == nil {
		return
	}
	pl.lead.publish(state)
	pl.lead = nil
}

// prepareSignIn resolves the options and the environment, then makes
// the sign-in's Backend API calls: the user lookup, the Testing Token,
// and the task (unless a shared state is reused). client is the page's
// client when it has one. The plan it returns with an error, if any,
// holds nothing to release.
func prepareSignIn(ctx context.Context, s *suite, o options, client *agenttask.Client) (*signInPlan, error) {
	tg, client, err := resolveAndCheck(ctx, s, o, client)
	if err != nil {
		return nil, err
	}
	return prepareResolved(ctx, s, o, tg, client)
}

// prepareResolved is prepareSignIn once the target and client are
// settled and the configuration checked (see resolveAndCheck).
func prepareResolved(ctx context.Context, s *suite, o options, tg target, client *agenttask.Client) (*signInPlan, error) {
	var err error
	fail := tg.failWith(&s.secrets)
	if err := runStarting(); err != nil {
		return nil, fail(StepConfig, err)
	}
	pl := &signInPlan{client: client, target: tg, wantUser: tg.UserID}
	if pl.wantUser == "" {
		lctx, cancel := o.stepContext(ctx)
		pl.wantUser, err = tg.lookupUser(lctx, s, client)
		err = timedOut(lctx, err)
		cancel()
		if err != nil {
			return nil, fail(StepConfig, err)
		}
	}
	tctx, cancel := o.stepContext(ctx)
	pl.token, err = s.testingToken(tctx, client)
	err = timedOut(tctx, err)
	cancel()
	if err != nil {
		return nil, fail(StepToken, err)
	}
	if o.reuse {
		pl.key = reuseKey{client: client, user: pl.wantUser, origin: tg.Redirect.Scheme + "://" + tg.Redirect.Host, agent: o.agentName}
		pl.shared, pl.lead, err = s.reuse.claim(ctx, pl.key)
		if err != nil {
			return nil, fail(StepConfig, err)
		}
		if pl.shared != nil {
			return pl, nil
		}
	}
	if pl.task, err = createTask(ctx, s, o, client, tg); err != nil {
		pl.publish(nil)
		return nil, err
	}
	return pl, nil
}

// resolveAndCheck is resolveTarget, then the run's configuration check
// (see suite.preflight).
func resolveAndCheck(ctx context.Context, s *suite, o options, client *agenttask.Client) (target, *agenttask.Client, error) {
	tg, client, err := resolveTarget(s, o, client)
	if err != nil {
		return tg, nil, err
	}
	if err := s.preflight(ctx, client); err != nil {
		return tg, nil, tg.failWith(&s.secrets)(StepConfig, err)
	}
	if tg.UserID != "" {
		if err, ok := s.instance(client).unknownUsers.Load(tg.UserID); ok {
			return tg, nil, tg.failWith(&s.secrets)(StepCreate, fmt.Errorf("%w (known from an earlier sign-in of this test binary)", err.(error)))
		}
	}
	return tg, client, nil
}

// resolveTarget settles the client, the user and the redirect URL from
// the options and the environment, before any network call.
func resolveTarget(s *suite, o options, client *agenttask.Client) (target, *agenttask.Client, error) {
	if client == nil {
		client = o.client
	}
	if client == nil {
		var err error
		if client, err = s.defaultClient(); err != nil {
			return target{}, nil, target{}.failWith(&s.secrets)(StepConfig, err)
		}
	}
	t, err := config.ResolveTarget(s.env, config.Choice{
		UserID: o.userID, Identifier: o.identifier, Redirect: o.redirect,
		UserIDName: "agenttest.AsUser", IdentifierName: "agenttest.AsIdentifier", RedirectName: "agenttest.RedirectTo",
	})
	if err != nil {
		return target{t}, nil, target{t}.failWith(&s.secrets)(StepConfig, err)
	}
	return target{t}, client, nil
}

// createTask creates the task; its owner (the page, or NewTaskContext's
// caller) releases it.
func createTask(ctx context.Context, s *suite, o options, client *agenttask.Client, t target) (*Task, error) {
	fail := t.failWith(&s.secrets)
	lifetime := o.sessionLifetime(ctx) // from the sign-in's deadline, not the step's
	ctx, cancel := o.stepContext(ctx)
	defer cancel()
	// The ledger learns of the task before Clerk does, so a run killed
	// during the request still leaves a trace for the sweep.
	user := taskUser(s, client, t)
	userID, err := user(ctx)
	if err = timedOut(ctx, err); err != nil {
		return nil, fail(StepConfig, err)
	}
	// An early end of the run (a signal, the -timeout) waits for this
	// create, so the task Clerk creates is revoked below rather than left
	// pending: endCreate runs after trackTask, or after the Release that
	// follows its refusal.
	endCreate, err := beginCreate()
	if err != nil {
		return nil, fail(StepCreate, err)
	}
	defer endCreate()
	ledger := s.ledger(client)
	if err := ledger.Creating(userID); err != nil {
		return nil, fail(StepCreate, fmt.Errorf("record the task in the ledger: %w", err))
	}
	task, err := client.Create(ctx, agenttask.CreateParams{
		UserID:             t.UserID,
		Identifier:         t.Identifier,
		AgentName:          o.agentName,
		TaskDescription:    o.description,
		RedirectURL:        t.Redirect.String(),
		SessionMaxDuration: lifetime,
	})
	if err = timedOut(ctx, err); err != nil {
		if refusedCreate(err) || errors.Is(err, agenttask.ErrNotSent) {
			_ = ledger.CreateFailed(userID)
		}
		// Else Clerk may have got the request and carry it out: the
		// ledger keeps the create open, so it is kept for the sweep,
		// which reports a task that may be pending with an unknown id.
		if unknown := unknownUser(err, userID); unknown != nil {
			s.instance(client).unknownUsers.Store(userID, unknown)
			return nil, fail(StepCreate, unknown)
		}
		return nil, fail(StepCreate, err)
	}
	s.secrets.AddURL(task.URL()) // every artifact of the run hides it
	owned := &Task{Task: task, client: client, user: user, ledger: ledger, userID: userID}
	if err := ledger.Task(task, userID); err != nil {
		return nil, errors.Join(fail(StepCreate, fmt.Errorf("record the task in the ledger: %w", err)), owned.Release(context.WithoutCancel(ctx)))
	}
	if err := trackTask(owned); err != nil {
		// The run is ending: give the task back at once.
		return nil, errors.Join(fail(StepCreate, err), owned.Release(context.WithoutCancel(ctx)))
	}
	return owned, nil
}

// refusedCreate reports whether a create's error is Clerk's answer that
// it made no task (a 4xx); a timeout, a lost connection or a server
// error leaves open whether Clerk made one.
func refusedCreate(err error) bool {
	var apiErr *agenttask.APIError
	return errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500
}

// taskUser resolves the user a task signs in, for its cleanup.
func taskUser(s *suite, c *agenttask.Client, t target) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if t.UserID != "" {
			return t.UserID, nil
		}
		return t.lookupUser(ctx, s, c)
	}
}

// lookupUser resolves the target's identifier to a user id (once per
// client and suite); when nobody has it, the error names the setting
// that gave it.
func (t target) lookupUser(ctx context.Context, s *suite, c *agenttask.Client) (string, error) {
	id, err := s.lookupUser(ctx, c, t.Identifier)
	if errors.Is(err, agenttask.ErrUserNotFound) {
		err = fmt.Errorf("%w (the identifier is set by %s)", err, t.Setting)
	}
	return id, err
}

// failWith returns a function that wraps a step's error in a
// SignInError. An error that quotes a secret (Playwright's quote the URL
// they were given) is replaced by its redacted text; others keep their
// chain for errors.As.
func (t target) failWith(sets ...*redact.Set) func(Step, error) error {
	return func(step Step, err error) error {
		msg := err.Error()
		for _, s := range sets {
			msg = s.Known(msg)
		}
		if msg = redact.Text(msg); msg != err.Error() {
			err = errors.New(msg)
		}
		return &SignInError{Step: step, User: t.Who(), Err: err}
	}
}
