package agenttest

import (
	"context"
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
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
