package agenttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"

	"github.com/agenttest/agenttest/agenttest/appserver"
)

// AppOptions say how StartApp starts the application under test and how
// it knows the application is ready (see appserver.Options).
type AppOptions = appserver.Options

// App is an application StartApp started, or found running: Stop it when
// the tests end (see appserver.Server).
type App = appserver.Server

// StartApp starts the application under test in a process group of its
// own and waits until opts.URL answers, like Playwright's webServer; App.Stop
// ends the whole group. Call it from a TestMain, around RunTests:
//
//	func TestMain(m *testing.M) {
//		app, err := agenttest.StartApp(context.Background(), agenttest.AppOptions{
//			Command: []string{"go", "run", "../cmd/web"},
//			URL:     "http://127.0.0.1:3000/",
//		})
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := agenttest.RunTests(m)
//		if err := app.Stop(); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//		}
//		os.Exit(code)
//	}
//
// The app's process group is its own, so a Ctrl-C in a terminal does not
// reach it: from the first StartApp until the binary exits, a SIGINT,
// SIGTERM or SIGHUP stops the apps StartApp started (and those still starting)
// before the binary ends as the signal says. Under [RunTests] this
// comes after what is in flight is revoked; so does the stop when the
// binary's -timeout is about to pass. A SIGKILL leaves the app running.
//
// A test binary that only lists its tests (go test -list, which
// `agenttest shard` runs) starts nothing: StartApp returns an App whose
// Stop does nothing.
//
// It is appserver.Start; the CLI's `agenttest serve` runs the same around
// a tests command.
func StartApp(ctx context.Context, opts AppOptions) (*App, error) {
	if listing() {
		// go test -list (agenttest shard) runs TestMain but no test.
		return appserver.NotStarted(opts.URL), nil
	}
	return startedApps.start(ctx, opts)
}

// appList is the set of started apps, safe for concurrent use.
type appList struct {
	mu       sync.Mutex
	apps     []*App
	starting map[*App]context.CancelFunc // keyed by a placeholder each
	stopping bool                        // stopAll has begun: no new start
	starts   sync.WaitGroup              // the starts in progress
}

// start runs appserver.Start under a context that stopAll cancels (Start
// then stops the app it began), and records the app. From before the
// start until the app is stopped, a SIGINT, SIGTERM or SIGHUP that no
// run handles stops the apps (see guard).
func (l *appList) start(ctx context.Context, opts AppOptions) (*App, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	key := new(App)
	l.mu.Lock()
	if l.stopping {
		l.mu.Unlock()
		return nil, errors.New("start app: the test binary is ending")
	}
	if l.starting == nil {
		l.starting = map[*App]context.CancelFunc{}
	}
	l.starting[key] = cancel
	l.starts.Add(1)
	l.mu.Unlock()
	defer l.starts.Done()

	started := make(chan *App, 1)
	l.guard(started)
	app, err := appserver.Start(ctx, opts)
	l.mu.Lock()
	delete(l.starting, key)
	if err == nil {
		l.apps = append(l.apps, app)
	}
	l.mu.Unlock()
	if err != nil {
		started <- nil
		return nil, err
	}
	started <- app
	return app, nil
}

// stopAll ends the starts in progress (each stops its app), then stops
// every recorded app, and returns their errors joined. Later starts are
// refused: the binary is ending.
func (l *appList) stopAll() error {
	l.mu.Lock()
	l.stopping = true
	for _, cancel := range l.starting {
		cancel()
	}
	l.mu.Unlock()
	l.starts.Wait()
	l.mu.Lock()
	apps := l.apps
	l.mu.Unlock()
	var errs []error
	for _, app := range apps {
		errs = append(errs, app.Stop())
	}
	return errors.Join(errs...)
}

// guard watches the endingSignals for one app, from its start (started
// then brings the app, or nil when it did not start) until it is
// stopped. A signal that no run watches (before RunTests, after it, or
// without it) stops every app, then ends the binary as the signal says;
// under RunTests the run's own watcher does that after revoking what is
// in flight.
func (l *appList) guard(started <-chan *App) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, endingSignals...)
	go func() {
		defer signal.Stop(ch)
		var stopped <-chan struct{}
		for {
			select {
			case app := <-started:
				if app == nil {
					return
				}
				stopped, started = app.Stopped(), nil
			case <-stopped:
				return
			case sig := <-ch:
				// While a run watches the signals, its watcher ends the
				// binary after revoking what is in flight, the apps
				// included; should it stop watching first (RunTests
				// returning), this guard acts.
				runSignalWatch.wait()
				fmt.Fprintf(os.Stderr, "agenttest: received %s: stopping the apps StartApp started\n", sig)
				if err := l.stopAll(); err != nil {
					fmt.Fprintf(os.Stderr, "agenttest: received %s: stop the app: %v\n", sig, err)
				}
				raise(sig)
			}
		}
	}()
}
