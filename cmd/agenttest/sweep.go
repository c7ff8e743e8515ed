package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/ledger"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

func runSweep(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `It reads CLERK_SECRET_KEY and CLERK_API_URL like create, and the ledgers of that
instance under AGENTTEST_LEDGER_DIR (default <user cache>/agenttest/ledgers).
A ledger whose run is still alive is left alone. For the others it revokes
every pending task, every session those tasks created, and, for a run killed
while creating a task, its user's sessions of this project's agents; it prints
one line per revoked item and a summary, and exits 1 if anything is left.`)
	dryRun := fs.Bool("dry-run", false, "print what would be revoked; revoke nothing and change no ledger")
	dir := fs.String("ledger-dir", "", "the ledgers' `directory` (default AGENTTEST_LEDGER_DIR, else <user cache>/agenttest/ledgers)")
	all := fs.Bool("all-agent-sessions", false, "for a run killed while creating a task, revoke all of its user's agent sessions, not only this project's agents'")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	env, err := config.LoadEnv()
	if err != nil {
		return err
	}
	cfg, err := agenttask.ConfigFromEnv(env)
	if err != nil {
		return err
	}
	client, err := agenttask.NewClient(cfg)
	if err != nil {
		return fmt.Errorf("new client: %w", err)
	}
	if *dir == "" {
		if *dir, err = ledger.Dir(env); err != nil {
			return err
		}
	} else if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		// Given by hand: a typo would sweep nothing and say all is well.
		what := "does not exist"
		if err == nil {
			what = "is not a directory"
		} else if !errors.Is(err, os.ErrNotExist) {
			what = "cannot be read: " + err.Error()
		}
		return fmt.Errorf("--ledger-dir %s %s: give the directory the runs recorded their ledgers in (%s, default <user cache>/agenttest/ledgers); nothing was swept", *dir, what, config.VarLedgerDir)
	}
	rep, err := ledger.Sweep(ctx, client, *dir, ledger.SweepOptions{DryRun: *dryRun, AllAgentSessions: *all})
	verb := "revoked"
	if rep.DryRun {
		verb = "would revoke"
	}
	for _, it := range rep.Revoked {
		fmt.Fprintf(stdout, "%s %s\n", verb, it)
	}
	for _, it := range rep.UnknownTasks {
		fmt.Fprintln(stdout, it)
	}
	fmt.Fprintln(stdout, sweepSummary(rep, verb))
	if err != nil && rep.Errors == 0 {
		return err // the sweep could not start: the summary above says it read nothing
	}
	if err != nil {
		// run prints one line: the failures, each naming its ledger.
		return fmt.Errorf("%d error(s), %d ledger(s) kept for the next sweep: %w", rep.Errors, len(rep.Kept), err)
	}
	return nil
}

// sweepSummary is the last line of sweep's output.
func sweepSummary(rep ledger.SweepReport, verb string) string {
	swept := "swept"
	if rep.DryRun {
		swept = "read" // nothing is swept
	}
	s := fmt.Sprintf("%s %d ledger(s) of dead runs (%d of live runs left alone): %s %d task(s) and %d session(s)",
		swept, rep.Files, rep.Live, verb, rep.TasksRevoked, rep.SessionsRevoked)
	if !rep.DryRun {
		s += fmt.Sprintf("; %d ledger(s) removed, %d kept", rep.Removed, len(rep.Kept))
	}
	if rep.Errors > 0 {
		s += fmt.Sprintf("; %d error(s)", rep.Errors)
	}
	return s
}
