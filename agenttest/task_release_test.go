package agenttest

import (
	"context"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Releasing a task the instance does not know (Revoke answers 404
// agent_task_not_found) is done, not an error: there is nothing to
// revoke, and Release still looks for sessions the task made.
func TestReleaseOfAnUnknownTaskIsDone(t *testing.T) {
	t.Parallel()
	f := fixtureStart(t)
	task := &Task{
		Task:   &agenttask.Task{ID: "agttsk_unknown000000000000000"},
		client: f.client,
		user:   func(context.Context) (string, error) { return fixtureAda, nil },
	}
	assert.NoError(t, task.Release(context.Background()))
	assert.Equal(t, 1, f.emu.Requests(clerkemu.RouteRevokeTask))
	assert.Equal(t, 1, f.emu.Requests(clerkemu.RouteListSessions), "the sessions it may have made are looked for")
}

// A create that ends without Clerk's answer (its step timed out) may
// still be carried out by Clerk: the ledger keeps it open, so the run's
// ledger is kept for the sweep; one Clerk refused (4xx) is closed.
func TestUnansweredCreateStaysInTheLedger(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	s.emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Delay: 5 * time.Second})
	r, err := currentRun()
	require.NoError(t, err)
	ledger := r.suite.ledger(s.client)
	require.NotNil(t, ledger)

	_, err = NewTaskContext(fixtureCtx(t), s.taskOpts(AsUser(fixtureAda), WithTimeout(300*time.Millisecond))...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "agenttest.WithTimeout(300ms)")
	assert.Equal(t, 1, ledger.Outstanding(), "the unanswered create stays open: the ledger is kept for the sweep")
	require.NoError(t, ledger.CreateFailed(fixtureAda)) // as the sweep would settle it

	_, err = NewTaskContext(fixtureCtx(t), s.taskOpts(AsUser("user_nobody"))...)
	require.Error(t, err)
	assert.Zero(t, ledger.Outstanding(), "a create Clerk refused is closed")
}

// holdingLimiter lets no request go: Wait ends with its context.
type holdingLimiter struct{}

func (holdingLimiter) Wait(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// A create whose step ran out while the client-side limiter held it sent
// nothing: the ledger closes it, so a sweep reports no task that cannot
// exist.
func TestUnsentCreateLeavesTheLedgerClosed(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	cfg, err := agenttask.ConfigFromEnv(config.EnvFromMap(map[string]string{
		config.VarSecretKey: s.emu.SecretKey(),
		config.VarAPIURL:    s.emu.APIURL(),
	}))
	require.NoError(t, err)
	cfg.Limiter = holdingLimiter{}
	held, err := agenttask.NewClient(cfg)
	require.NoError(t, err)
	r, err := currentRun()
	require.NoError(t, err)
	ledger := r.suite.ledger(held)
	require.NotNil(t, ledger)

	_, err = NewTaskContext(fixtureCtx(t), s.taskOpts(AsUser(fixtureAda), WithClient(held), WithTimeout(300*time.Millisecond))...)
	require.Error(t, err)
	assert.ErrorIs(t, err, agenttask.ErrNotSent)
	assert.Zero(t, s.emu.Requests(clerkemu.RouteCreateTask), "nothing reached Clerk")
	assert.Zero(t, ledger.Outstanding(), "a create that sent nothing is closed")
}
