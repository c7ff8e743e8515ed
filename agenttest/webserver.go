package agenttest

import (
	"context"
	"errors"
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
// reach it: when the binary ends early under [RunTests] (SIGINT, SIGTERM,
// or its -timeout about to pass), the apps StartApp started are stopped
// too, after what is in flight is revoked. A SIGKILL leaves the app
// running.
//
// It is appserver.Start; the CLI's `agenttest serve` runs the same around
// a tests command.
func StartApp(ctx context.Context, opts AppOptions) (*App, error) {
	app, err := appserver.Start(ctx, opts)
	if err == nil {
		startedApps.add(app)
	}
	return app, err
}

// startedApps are the apps StartApp started in this process, stopped
// when the test binary ends early (endEarly). It is package state on
// purpose: StartApp runs in TestMain before RunTests makes the run.
// Stopping an app twice is a no-op, so one its TestMain stopped may stay.
var startedApps appList

// appList is a set of started apps, safe for concurrent use.
type appList struct {
	mu   sync.Mutex
	apps []*App
}

// add records app.
func (l *appList) add(app *App) {
	l.mu.Lock()
	l.apps = append(l.apps, app)
	l.mu.Unlock()
}

// stopAll stops every recorded app and returns their errors joined.
func (l *appList) stopAll() error {
	l.mu.Lock()
	apps := l.apps
	l.mu.Unlock()
	var errs []error
	for _, app := range apps {
		errs = append(errs, app.Stop())
	}
	return errors.Join(errs...)
}
