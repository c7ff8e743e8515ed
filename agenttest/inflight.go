package agenttest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
)

// inflight is what a run's tests hold right now: the sessions their
// pages signed in with, the tasks not yet released and the create
// requests not yet answered. When the run must end early (a signal, the
// binary's -timeout about to panic) it revokes them all through the
// Backend API, without the browser, which may be stuck.
type inflight struct {
	mu       sync.Mutex
	sessions map[*session]struct{}
	tasks    map[*Task]struct{}
	ending   bool // set by revokeAll: no new work may start
	// creates counts the create requests sent and not yet answered (and,
	// once answered during the end, not yet given back). Their tasks are
	// unknown until Clerk answers, yet Clerk carries a create out even
	// when its caller is gone: revokeAll waits for them (bounded), and
	// each create, refused tracking because the run is ending, revokes
	// its own task before it counts itself out.
	creates int
	drained chan struct{} // made by revokeAll while creates > 0; closed when they reach 0
}

// errRunEnding refuses new sign-ins once the run is being torn down.
var errRunEnding = errors.New("the test binary is ending (a signal, or its -timeout is about to pass): no new sign-in")

// start refuses new work once the run is ending.
func (f *inflight) start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ending {
		return errRunEnding
	}
	return nil
}

// beginCreate counts a create request in, or refuses it once the run is
// ending; endCreate counts it out once its task is tracked or given
// back.
func (f *inflight) beginCreate() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ending {
		return errRunEnding
	}
	f.creates++
	return nil
}

func (f *inflight) endCreate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates--
	if f.creates == 0 && f.drained != nil {
		close(f.drained)
		f.drained = nil
	}
}

// addSession tracks a session until it ends.
func (f *inflight) addSession(s *session) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sessions == nil {
		f.sessions = map[*session]struct{}{}
	}
	f.sessions[s] = struct{}{}
}

// addTask tracks t until it is released.
func (f *inflight) addTask(t *Task) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ending {
		return errRunEnding
	}
	if f.tasks == nil {
		f.tasks = map[*Task]struct{}{}
	}
	f.tasks[t] = struct{}{}
	return nil
}

// removeSession and removeTask forget what was released.
func (f *inflight) removeSession(s *session) {
	f.mu.Lock()
	delete(f.sessions, s)
	f.mu.Unlock()
}

func (f *inflight) removeTask(t *Task) {
	f.mu.Lock()
	delete(f.tasks, t)
	f.mu.Unlock()
}

// revokeAll refuses new work and revokes, in parallel and within ctx,
// every session a live page signed in with and every live task (a
// pending one is revoked; a spent one has its session looked up and
// revoked); then it waits, within ctx, for the creates in flight, which
// revoke their own tasks as Clerk answers. It returns what could not be
// revoked.
func (f *inflight) revokeAll(ctx context.Context) error {
	f.mu.Lock()
	f.ending = true
	sessions := maps.Clone(f.sessions)
	var tasks []*Task
	for t := range f.tasks {
		tasks = append(tasks, t)
	}
	var drained <-chan struct{}
	if f.creates > 0 {
		if f.drained == nil {
			f.drained = make(chan struct{})
		}
		drained = f.drained
	}
	f.mu.Unlock()

	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	collect := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	for s := range sessions {
		wg.Go(func() { collect(revokeSession(ctx, s.client, s.id)) })
	}
	for _, t := range tasks {
		wg.Go(func() { collect(t.Release(ctx)) })
	}
	wg.Wait()
	if drained != nil {
		select {
		case <-drained:
		case <-ctx.Done():
			f.mu.Lock()
			n := f.creates
			f.mu.Unlock()
			collect(fmt.Errorf("%d task create request(s) still unanswered: each may leave a task pending at Clerk with an id nobody learnt; it signs nobody in, since its URL reaches no one (the ledger records it: `agenttest sweep` reports it)", n))
		}
	}
	return errors.Join(errs...)
}

// trackTask registers t with the run, if there is one, so that an early
// end revokes it; Release forgets it.
func trackTask(t *Task) error {
	r, err := currentRun()
	if err != nil {
		return nil // a plain program: nothing ends it early
	}
	// Set before addTask makes t visible to an early end's revokeAll,
	// which reads it in Release.
	t.untrack = func() { r.inflight.removeTask(t) }
	if err := r.inflight.addTask(t); err != nil {
		t.untrack = nil
		return err
	}
	return nil
}

// beginCreate counts a create request in with the run, if there is one,
// so that an early end waits for its answer; the returned function
// counts it out. It fails once the run is ending.
func beginCreate() (end func(), err error) {
	r, err := currentRun()
	if err != nil {
		return func() {}, nil // a plain program: nothing ends it early
	}
	if err := r.inflight.beginCreate(); err != nil {
		return nil, err
	}
	return r.inflight.endCreate, nil
}

// runStarting refuses a new sign-in once the run is ending.
func runStarting() error {
	r, err := currentRun()
	if err != nil {
		return nil
	}
	return r.inflight.start()
}
