package agenttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/ledger"
)

// sweepTimeout bounds the sweep of dead runs' ledgers before the first
// test.
const sweepTimeout = 30 * time.Second

// ledger returns the suite's ledger for c's instance, opened on first
// use: the crash-safe record of the tasks and sessions this run creates,
// which a later run or `agenttest sweep` revokes if this one is killed.
// It is nil (every record a no-op) when the ledger cannot be opened; the
// reason is printed once.
func (s *suite) ledger(c *agenttask.Client) *ledger.Ledger {
	in := s.instance(c)
	in.ledgerOnce.Do(func() {
		dir, err := ledger.Dir(s.env)
		if err == nil {
			in.ledger, err = ledger.Open(dir, c)
		}
		if err != nil {
			s.ledgerWarned.Do(func() {
				fmt.Fprintf(os.Stderr, "agenttest: no ledger, so a killed run's tasks and sessions cannot be swept later: %v (set %s to a writable directory)\n", err, config.VarLedgerDir)
			})
		}
	})
	return in.ledger
}

// closeLedgers closes every ledger of the suite: each file is removed
// when everything in it was revoked, kept for a sweep otherwise.
func (s *suite) closeLedgers() error {
	var errs []error
	s.instances.Range(func(_, v any) bool {
		in := v.(*instance)
		in.ledgerOnce.Do(func() {}) // none is opened from here on
		if err := in.ledger.Close(); err != nil {
			errs = append(errs, fmt.Errorf("agenttest: %w", err))
		}
		return true
	})
	return errors.Join(errs...)
}

// closeClient releases the idle connections of the default client, if
// it was built, and of the Frontend API client: the run (or the browser
// of a plain program) is done with them.
func (s *suite) closeClient() {
	s.frontend.CloseIdleConnections()
	if c, err := s.defaultClient(); err == nil {
		c.CloseIdleConnections()
	}
}

// sweepDeadRuns revokes what earlier runs of this instance (the default
// client's) left behind when they were killed, before the first test.
// Live runs' ledgers are left alone. Without a configured client there
// is nothing to sweep.
func (s *suite) sweepDeadRuns() {
	c, err := s.defaultClient()
	if err != nil {
		return
	}
	dir, err := ledger.Dir(s.env)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
	defer cancel()
	report, err := ledger.Sweep(ctx, c, dir, ledger.SweepOptions{})
	if report.TasksRevoked+report.SessionsRevoked > 0 {
		fmt.Fprintf(os.Stderr, "agenttest: revoked %d task(s) and %d session(s) that killed runs left behind\n", report.TasksRevoked, report.SessionsRevoked)
	}
	for _, it := range report.UnknownTasks {
		fmt.Fprintf(os.Stderr, "agenttest: sweeping what killed runs left behind: %s\n", it)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "agenttest: sweeping what killed runs left behind: %v (run `agenttest sweep` to retry)\n", err)
	}
}
