package agenttest

import (
	"context"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A session lives as long as the sign-in's deadline needs, plus a margin,
// within bounds; without a deadline, 10 minutes; the option wins.
func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	background := context.Background()
	assert.Equal(t, noDeadlineLifetime, defaults.sessionLifetime(background))
	assert.Equal(t, 7*time.Minute, mustResolve(t, WithSessionMaxDuration(7*time.Minute)).sessionLifetime(background))
	for left, want := range map[time.Duration]time.Duration{
		-time.Minute:     minDefaultLifetime, // already past: the floor
		10 * time.Second: 10*time.Second + sessionLifetimeMargin,
		5 * time.Minute:  5*time.Minute + sessionLifetimeMargin,
		2 * time.Hour:    maxDefaultLifetime,
	} {
		ctx, cancel := context.WithTimeout(background, left)
		got := defaults.sessionLifetime(ctx)
		cancel()
		assert.InDelta(t, want.Seconds(), got.Seconds(), 2, "with %s left", left)
	}
}

// An absurd session lifetime is refused before any request; the default
// is sent to Clerk.
func TestSessionLifetimeIsBounded(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	for _, d := range []time.Duration{-time.Minute, 9 * 365 * 24 * time.Hour, MaxSessionLifetime + time.Second} {
		_, err := NewTaskContext(fixtureCtx(t), s.taskOpts(AsUser(fixtureAda), WithSessionMaxDuration(d))...)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "WithSessionMaxDuration")
		assert.Contains(t, err.Error(), "config")
	}
	assert.Zero(t, s.emu.Requests(clerkemu.RouteCreateTask), "refused before any request")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	task, err := NewTaskContext(ctx, s.taskOpts(AsUser(fixtureAda))...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, task.Release(fixtureCleanupCtx(t))) })
	var found *clerkemu.Task
	for _, et := range s.emu.Tasks(clerkemu.TaskPending) {
		if et.ID == task.ID {
			found = &et
		}
	}
	require.NotNil(t, found, "the task is pending in the emulator")
	assert.InDelta(t, (3*time.Minute + sessionLifetimeMargin).Seconds(), found.SessionMaxDuration.Seconds(), 5)
}

// mustResolve resolves options a sign-in accepts.
func mustResolve(t *testing.T, opts ...Option) options {
	t.Helper()
	o, err := resolve(defaults, atSignIn, opts)
	require.NoError(t, err)
	return o
}

// An option given where it does not apply, and a nil check, are refused
// by the call itself, before a browser, a page or a Backend API call:
// every entry point names the option and the call.
func TestOptionsRefusedWhereTheyDoNotApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := SignInContext(ctx, WithClock(time.Now))
	var se *SignInError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, StepConfig, se.Step)
	assert.ErrorContains(t, err, "agenttest.WithClock does not apply to SignIn: it is for HTTPClient")
	_, err = NewPageContext(ctx, KeepSession(), WithClock(time.Now))
	assert.ErrorContains(t, err, "agenttest.WithClock does not apply to NewPage")
	_, err = NewTaskContext(ctx, KeepSession())
	assert.ErrorContains(t, err, "agenttest.KeepSession does not apply to NewTask: it is for SignIn, NewPage, Page.SignIn, HTTPClient")
	_, err = NewTaskContext(ctx, WithTrace(TraceOn))
	assert.ErrorContains(t, err, "agenttest.WithTrace does not apply to NewTask: it is for SignIn, NewPage")
	sc, err := HTTPClientContext(ctx, ReuseSignIn())
	assert.ErrorContains(t, err, "agenttest.ReuseSignIn does not apply to HTTPClient")
	require.NoError(t, sc.Release(ctx))
	_, err = SignInContext(ctx, WithCheck(nil))
	assert.ErrorContains(t, err, "agenttest.WithCheck(nil): give a check function")
	err = (&Page{}).SignIn(ctx, WithArtifactsDir(t.TempDir()))
	assert.ErrorContains(t, err, "agenttest.WithArtifactsDir does not apply to Page.SignIn: it is for SignIn, NewPage")

	// A list of options is checked whole: each refusal is said.
	_, err = resolve(defaults, atTask, []Option{WithCheck(nil), ReuseSignIn(), WithTimeout(0)})
	assert.ErrorContains(t, err, "WithCheck(nil)")
	assert.ErrorContains(t, err, "agenttest.ReuseSignIn does not apply to NewTask")
	assert.ErrorContains(t, err, "agenttest.WithTimeout(0s)")
}
