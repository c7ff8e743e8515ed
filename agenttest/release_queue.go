package agenttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// releaseWorkers bounds how many finished tests' pages are released at
// once: closing contexts competes with running tests for the browser.
const releaseWorkers = 4

// releaseQueue takes the release of a finished test's page (closing its
// context, revoking its tasks and session) off the test's critical
// path: the test returns and its parallel slot frees while the queue
// releases in the background. The run owns it and drains it before it
// ends; what a queued release holds stays in the run's in-flight set and
// ledger until it is done, so signals, the -timeout watchdog and the
// sweep still cover it.
type releaseQueue struct {
	wg   sync.WaitGroup
	sem  chan struct{}
	once sync.Once

	mu   sync.Mutex
	errs []error
}

// add releases p in the background; name (the test's) prefixes an
// error, which drain reports.
func (q *releaseQueue) add(name string, p *Page) {
	q.once.Do(func() { q.sem = make(chan struct{}, releaseWorkers) })
	q.wg.Go(func() {
		q.sem <- struct{}{}
		defer func() { <-q.sem }()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := p.Release(ctx); err != nil {
			q.mu.Lock()
			q.errs = append(q.errs, fmt.Errorf("cleanup of %s: %w", name, err))
			q.mu.Unlock()
		}
	})
}

// drain waits for every queued release and returns their errors.
func (q *releaseQueue) drain() error {
	q.wg.Wait()
	q.mu.Lock()
	defer q.mu.Unlock()
	err := errors.Join(q.errs...)
	q.errs = nil
	return err
}
