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
	assert.Equal(t, noDeadlineLifetime, newOptions(nil).sessionLifetime(background))
	assert.Equal(t, 7*time.Minute, newOptions([]Option{WithSessionMaxDuration(7 * time.Minute)}).sessionLifetime(background))
	for left, want := range map[time.Duration]time.Duration{
		-time.Minute:     minDefaultLifetime, // already past: the floor
		10 * time.Second: 10*time.Second + sessionLifetimeMargin,
		5 * time.Minute:  5*time.Minute + sessionLifetimeMargin,
		2 * time.Hour:    maxDefaultLifetime,
	} {
		ctx, cancel := context.WithTimeout(background, left)
		got := newOptions(nil).sessionLifetime(ctx)
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
		_, err := CreateTask(fixtureCtx(t), s.opts(AsUser(fixtureAda), WithSessionMaxDuration(d))...)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "WithSessionMaxDuration")
		assert.Contains(t, err.Error(), "config")
	}
	assert.Zero(t, s.emu.Requests(clerkemu.RouteCreateTask), "refused before any request")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	task, err := CreateTask(ctx, s.opts(AsUser(fixtureAda))...)
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
