package agenttest

import (
	"context"

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
// It is appserver.Start; the CLI's `agenttest serve` runs the same around
// a tests command.
func StartApp(ctx context.Context, opts AppOptions) (*App, error) {
	return appserver.Start(ctx, opts)
}
