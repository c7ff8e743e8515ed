package agenttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/ledger"

	"github.com/agenttest/agenttest/agenttest/agenttask"
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
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	if l, ok := s.ledgers[c]; ok {
		return l
	}
	if s.ledgers == nil {
		s.ledgers = map[*agenttask.Client]*ledger.Ledger{}
	}
	dir, err := ledger.Dir(s.env)
	var l *ledger.Ledger
	if err == nil {
		l, err = ledger.Open(dir, c)
	}
	if err != nil && !s.ledgerWarned {
		s.ledgerWarned = true
		fmt.Fprintf(os.Stderr, "agenttest: no ledger, so a killed run's tasks and sessions cannot be swept later: %v (set %s to a writable directory)\n", err, config.VarLedgerDir)
	}
	s.ledgers[c] = l
	return l
}

// closeLedgers closes every ledger of the suite: each file is removed
// when everything in it was revoked, kept for a sweep otherwise.
func (s *suite) closeLedgers() error {
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	var errs []error
	for _, l := range s.ledgers {
		if err := l.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.ledgers = nil
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
