// Package appserver starts the application under test for a test run and
// stops it afterwards, like Playwright's webServer: Start runs a command
// in a process group of its own, waits until a URL answers, and
// Server.Stop ends the whole group. The fixture offers it as
// agenttest.StartApp (for a TestMain), the CLI as agenttest serve.
//
// Its limits: a process that leaves the group (setsid) is not stopped,
// and a test binary killed with SIGKILL cannot stop the app. Outside Unix
// only the command itself is stopped, not its children.
package appserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agenttest/agenttest/internal/redact"
	"github.com/agenttest/agenttest/internal/shellword"
)

// Options say how Start starts the application under test and how
// it knows the application is ready, like Playwright's webServer.
type Options struct {
	// Command is the program and its arguments, run without a shell
	// (use {"sh", "-c", "…"} for one), e.g. {"go", "run", "./cmd/web"}.
	// Required.
	Command []string
	// URL is polled with GET until it answers 2xx, 3xx, 400, 401, 402 or
	// 403 (Playwright's rule): then the app is ready. Required.
	URL string
	// Dir is the command's working directory; empty means the current one.
	Dir string
	// Env is added to this process's environment for the command, as
	// KEY=VALUE entries; a later entry wins over an earlier one and over
	// the process's own.
	Env []string
	// Timeout bounds the wait for URL to answer. Zero means 60 s.
	Timeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before it kills
	// the command's process group. Zero means 10 s.
	StopTimeout time.Duration
	// Output receives the command's stdout and stderr while it runs. Nil
	// discards them; the last lines are kept for error messages anyway.
	Output io.Writer
	// ReuseExisting uses an application that already answers at URL
	// before Start starts anything, and then starts nothing (Stop does
	// nothing). When false, an answer at URL before the start is an error:
	// something else holds the port.
	ReuseExisting bool
}

// Server is an application Start started (or found running). Stop it
// when the tests end.
type Server struct {
	url     string
	name    string    // the command line, for errors
	cmd     *exec.Cmd // nil when an existing app was reused
	exited  chan struct{}
	waitErr error // set before exited is closed
	stopT   time.Duration
	tail    *tailBuffer
	secrets []string

	stopOnce sync.Once
	stopErr  error
	stopped  chan struct{} // closed when Stop has returned
}

// Start starts opts.Command in a process group of its own and waits
// until opts.URL answers, at most opts.Timeout, then returns the running
// Server. If the command exits first, the wait times out or ctx ends, it
// stops the command's whole process group and returns an error holding
// the command's last output lines (secret-looking values removed).
//
// ctx bounds only the start; the Server runs until Stop. Use it from a
// TestMain, around agenttest.RunTests:
//
//	app, err := appserver.Start(ctx, appserver.Options{
//		Command: []string{"go", "run", "./cmd/web"},
//		URL:     "http://127.0.0.1:3000/healthz",
//	})
//	…
//	code := agenttest.RunTests(m)
//	err = app.Stop()
//
// A test binary killed with SIGKILL cannot stop it: the app outlives it.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("start app: Options.Command is empty: give the program and its arguments")
	}
	if opts.URL == "" {
		return nil, errors.New("start app: Options.URL is empty: give the URL that answers once the app is ready")
	}
	if u, err := url.Parse(opts.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("start app: Options.URL %q is not an absolute http or https URL: give the URL that answers once the app is ready, such as http://127.0.0.1:3000/", redact.URL(opts.URL))
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("start app: Options.Timeout is %v: give a positive duration, or 0 for 60 s", opts.Timeout)
	}
	if opts.StopTimeout < 0 {
		return nil, fmt.Errorf("start app: Options.StopTimeout is %v: give a positive duration, or 0 for 10 s", opts.StopTimeout)
	}
	timeout := cmpOr(opts.Timeout, 60*time.Second)
	a := &Server{
		url:     opts.URL,
		exited:  make(chan struct{}),
		stopped: make(chan struct{}),
		stopT:   cmpOr(opts.StopTimeout, 10*time.Second),
		tail:    &tailBuffer{max: 20},
		secrets: secretValues(opts.Env),
	}
	a.name = a.commandLine(opts.Command)
	client := probeClient()
	defer client.CloseIdleConnections()

	if err := probe(ctx, client, opts.URL); err == nil {
		if opts.ReuseExisting {
			close(a.exited)
			return a, nil
		}
		return nil, fmt.Errorf("start app: %s already answers before %s started: stop what holds the port, or set Options.ReuseExisting", redact.URL(opts.URL), a.name)
	}

	cmd := exec.Command(opts.Command[0], opts.Command[1:]...)
	cmd.Dir = opts.Dir
	if len(opts.Env) > 0 {
		// The process's environment passed through, not configuration read.
		cmd.Env = append(cmd.Environ(), opts.Env...)
	}
	out := io.Writer(a.tail)
	if opts.Output != nil {
		out = io.MultiWriter(a.tail, opts.Output)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// A grandchild that keeps the output pipe open must not hold Wait.
	cmd.WaitDelay = 2 * time.Second
	newProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start app: run %s: %w", opts.Command[0], err)
	}
	a.cmd = cmd
	go func() {
		a.waitErr = cmd.Wait()
		close(a.exited)
	}()

	if err := a.waitReady(ctx, client, timeout); err != nil {
		_ = a.Stop()
		return nil, fmt.Errorf("start app: %w; its last output: %s", err, a.lastOutput())
	}
	return a, nil
}

// waitReady polls the URL until it answers, the command exits, timeout
// passes or ctx ends.
func (a *Server) waitReady(ctx context.Context, client *http.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := 20 * time.Millisecond
	for {
		err := probe(ctx, client, a.url)
		if err == nil {
			select {
			case <-a.exited:
				// Something else answers there: another run's app that took
				// the port first, say (the command failed to listen).
				return fmt.Errorf("%s answers, but %s had exited (%s): another process answers at that address: stop it, or give this app another address", redact.URL(a.url), a.name, exitDescription(a.waitErr))
			default:
				return nil
			}
		}
		select {
		case <-a.exited:
			return fmt.Errorf("%s exited (%s) before %s answered: fix the command or its configuration", a.name, exitDescription(a.waitErr), redact.URL(a.url))
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("%s did not answer within %s (last: %v): check that the command listens there, or raise Options.Timeout", redact.URL(a.url), timeout, err)
			}
			return fmt.Errorf("waiting for %s: %w", redact.URL(a.url), ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// probeClient is the HTTP client of the readiness probes: short
// timeouts, no redirects followed, no connection kept.
func probeClient() *http.Client {
	return &http.Client{
		Timeout:       2 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: true},
	}
}

// probe GETs url once: nil for a status Playwright's webServer counts as
// ready, else why not.
func probe(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("bad Options.URL: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return errors.New(redact.Text(err.Error()))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 400, s >= 400 && s <= 403:
		return nil
	default:
		return fmt.Errorf("status %d", s)
	}
}

// URL is the URL the app answered at.
func (a *Server) URL() string { return a.url }

// Pid is the process id of the command, or 0 when an existing app was
// reused. Its process group has the same id (on Unix).
func (a *Server) Pid() int {
	if a.cmd == nil {
		return 0
	}
	return a.cmd.Process.Pid
}

// Stop ends the command: SIGTERM to its process group, then, after
// Options.StopTimeout, SIGKILL to the group; any process left in the
// group is killed once the command has exited, so none outlives it. It
// waits for the command to exit. It is idempotent and safe to call
// concurrently; an app that was reused is left running. The error says
// how the command ended if that was not by Stop's signal.
func (a *Server) Stop() error {
	a.stopOnce.Do(func() {
		defer close(a.stopped)
		if a.cmd == nil {
			return
		}
		select {
		case <-a.exited:
			// It ended by itself: clear its group and say so.
			killGroup(a.cmd)
			a.stopErr = fmt.Errorf("stop app: %s had exited already (%s); its last output: %s", a.name, exitDescription(a.waitErr), a.lastOutput())
			return
		default:
		}
		terminateGroup(a.cmd)
		select {
		case <-a.exited:
		case <-time.After(a.stopT):
			killGroup(a.cmd)
			<-a.exited
		}
		killGroup(a.cmd)
	})
	return a.stopErr
}

// NotStarted returns a Server for url that runs nothing: Stop does
// nothing and Pid is 0. It stands for an app that need not run, as for
// a test binary that only lists its tests.
func NotStarted(url string) *Server {
	a := &Server{url: url, exited: make(chan struct{}), stopped: make(chan struct{})}
	close(a.exited)
	return a
}

// Stopped returns a channel that is closed once Stop has returned: from
// then on nothing of the app runs (or, for a reused app, it is no longer
// this Server's).
func (a *Server) Stopped() <-chan struct{} { return a.stopped }

// lastOutput is the command's last output lines on one line, without
// secret-looking values.
func (a *Server) lastOutput() string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(a.tail.String(), "")), " ")
	if s == "" {
		return "(none)"
	}
	return redact.Text(s, a.secrets...)
}

// maxCommandLine bounds the command line an error shows.
const maxCommandLine = 200

// commandLine is argv as a shell would read it (sh -c 'npm run dev'),
// on one line, without secret-looking values, cut to maxCommandLine:
// what errors call the command, so a user recognises the one they gave.
func (a *Server) commandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		words[i] = shellword.Quote(w)
	}
	s := redact.Text(strings.Join(strings.Fields(strings.Join(words, " ")), " "), a.secrets...)
	if len(s) > maxCommandLine {
		cut := maxCommandLine
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// exitDescription says how a command's Wait ended.
func exitDescription(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// secretValues are the values of the env entries whose names look like
// they hold a secret.
func secretValues(env []string) []string {
	var out []string
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if ok && value != "" && (strings.Contains(upper, "SECRET") || strings.Contains(upper, "KEY") || strings.Contains(upper, "TOKEN") || strings.Contains(upper, "PASSWORD")) {
			out = append(out, value)
		}
	}
	return out
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
	part  bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range p {
		if c != '\n' {
			if b.part.Len() < 1024 {
				b.part.WriteByte(c)
			}
			continue
		}
		b.lines = append(b.lines, b.part.String())
		b.part.Reset()
		if len(b.lines) > b.max {
			b.lines = b.lines[len(b.lines)-b.max:]
		}
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(append(append([]string(nil), b.lines...), b.part.String()), "\n")
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
