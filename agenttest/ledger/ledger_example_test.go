package ledger_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/ledger"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// A run records what it creates before and after each create; a run
// that dies leaves its ledger behind, and a later Sweep revokes what it
// left.
func ExampleSweep() {
	emu, err := clerkemu.Start(clerkemu.Options{Users: clerkemu.SeedUsers()})
	if err != nil {
		log.Fatal(err)
	}
	defer emu.Close()
	dir, err := os.MkdirTemp("", "ledgers-") // in real use: ledger.Dir(env)
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	user := emu.Users()[0].ID

	// A run: the ledger first, then the task, recorded before its URL
	// is used.
	l, err := ledger.Open(dir, client)
	if err != nil {
		log.Fatal(err)
	}
	_ = l.Creating(user)
	task, err := client.Create(ctx, agenttask.CreateParams{UserID: user, RedirectURL: "http://localhost:3000/"})
	if err != nil {
		_ = l.CreateFailed(user)
		log.Fatal(err)
	}
	_ = l.Task(task, user)
	// … the run ends without revoking the task: its lock is released and
	// its ledger kept, as if it had been killed.
	_ = l.Close()

	// A later run, or `agenttest sweep`.
	rep, err := ledger.Sweep(ctx, client, dir, ledger.SweepOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d ledger swept: %d task and %d sessions revoked, %d ledger removed\n",
		rep.Files, rep.TasksRevoked, rep.SessionsRevoked, rep.Removed)
	fmt.Println("pending tasks left:", len(emu.Tasks(clerkemu.TaskPending)))
	// Output:
	// 1 ledger swept: 1 task and 0 sessions revoked, 1 ledger removed
	// pending tasks left: 0
}
