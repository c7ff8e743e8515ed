// Package ledger keeps a crash-safe record on disk of the Agent Tasks
// and sessions a run creates in a Clerk instance, and sweeps the records
// of runs that died: [Open] starts this run's [Ledger] under [Dir], and
// [Sweep] revokes what dead runs' ledgers left open. A live run holds
// its ledger's lock, so its ledger is never swept.
//
//	l, err := ledger.Open(dir, client) // dir from ledger.Dir(env)
//	err = l.Creating(userID)           // before each create request
//	err = l.Task(task, userID)         // after it, before the URL is used
//	rep, err := ledger.Sweep(ctx, client, dir, ledger.SweepOptions{})
package ledger
