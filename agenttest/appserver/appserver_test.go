//go:build unix

package appserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildWebapp builds testdata/webapp into a temp dir and returns its path.
func buildWebapp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webapp")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/webapp").CombinedOutput(); err != nil {
		t.Fatalf("build testdata/webapp: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address nothing listens on (now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// syncBuffer is an io.Writer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// pids returns the "pid N" and "child N" numbers the webapp printed.
func pids(t *testing.T, out string, want int) []int {
	t.Helper()
	var ps []int
	for _, m := range regexp.MustCompile(`(?m)^(?:pid|child) (\d+)$`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		ps = append(ps, n)
	}
	if len(ps) < want {
		t.Fatalf("the webapp printed %d pids, want %d; output %q", len(ps), want, out)
	}
	return ps
}

// requireGone fails unless every pid is gone (not even a zombie of ours),
// polling up to 10 s: an orphan is reaped by init only after it dies.
func requireGone(t *testing.T, ps ...int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range ps {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still exists after its app was stopped", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestStartAppServesUntilStopAndLeavesNoProcess(t *testing.T) {
	bin := buildWebapp(t)
	addr := freeAddr(t)
	var out syncBuffer
	app, err := Start(t.Context(), Options{
		Command: []string{bin, "-listen", addr, "-delay", "300ms", "-child"},
		URL:     "http://" + addr + "/",
		Output:  &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(app.URL())
	if err != nil {
		t.Fatalf("the app is not serving after StartApp: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("GET %s = %q", app.URL(), body)
	}
	ps := pids(t, out.String(), 2)
	if ps[0] != app.Pid() {
		t.Fatalf("App.Pid() = %d, the app printed pid %d", app.Pid(), ps[0])
	}
	select {
	case <-app.Stopped():
		t.Fatal("Stopped is closed before Stop")
	default:
	}
	if err := app.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-app.Stopped():
	default:
		t.Fatal("Stopped is not closed after Stop")
	}
	if err := app.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	requireGone(t, ps...)
	if _, err := http.Get(app.URL()); err == nil {
		t.Fatal("the app still answers after Stop")
	}
}

func TestStartAppKillsAnAppThatIgnoresSIGTERM(t *testing.T) {
	bin := buildWebapp(t)
	addr := freeAddr(t)
	var out syncBuffer
	app, err := Start(t.Context(), Options{
		Command:     []string{bin, "-listen", addr, "-child", "-ignore-term"},
		URL:         "http://" + addr + "/",
		Output:      &out,
		StopTimeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := pids(t, out.String(), 2)
	if err := app.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	requireGone(t, ps...)
}

func TestStartAppEarlyExitSaysSoWithTheOutputAndNoSecret(t *testing.T) {
	bin := buildWebapp(t)
	addr := freeAddr(t)
	const secret = "hunter2-webapp-password-value"
	var out syncBuffer
	app, err := Start(t.Context(), Options{
		Command: []string{bin, "-listen", addr, "-child", "-exit", "3"},
		URL:     "http://" + addr + "/",
		Env:     []string{"WEBAPP_SECRET=" + secret},
		Output:  &out,
	})
	if app != nil || err == nil {
		t.Fatalf("StartApp of an app that exits: %v, %v; want nil and an error", app, err)
	}
	msg := err.Error()
	for _, want := range []string{"start app: " + bin + " -listen " + addr + " -child -exit 3 exited (exit status 3) before http://" + addr + "/ answered", "boom: the app cannot start"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, secret) || strings.Contains(msg, "\n") {
		t.Errorf("error %q holds the secret or a newline", msg)
	}
	if !strings.Contains(out.String(), secret) {
		t.Fatalf("the test is void: the app did not print its secret; output %q", out.String())
	}
	requireGone(t, pids(t, out.String(), 2)...)
}

func TestStartAppTimeoutStopsTheApp(t *testing.T) {
	bin := buildWebapp(t)
	addr := freeAddr(t)
	var out syncBuffer
	_, err := Start(t.Context(), Options{
		Command: []string{bin, "-child"}, // never listens
		URL:     "http://" + addr + "/",
		Timeout: 500 * time.Millisecond,
		Output:  &out,
	})
	if err == nil || !strings.Contains(err.Error(), "did not answer within 500ms") || !strings.Contains(err.Error(), "Options.Timeout") {
		t.Fatalf("StartApp of an app that never listens: %v; want the timeout named", err)
	}
	requireGone(t, pids(t, out.String(), 2)...)
}

func TestStartAppContextEndsTheStart(t *testing.T) {
	bin := buildWebapp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Start(ctx, Options{Command: []string{bin}, URL: "http://" + freeAddr(t) + "/"})
	if !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "context canceled")) {
		t.Fatalf("StartApp with a cancelled context: %v", err)
	}
}

func TestStartAppWhenSomethingAlreadyAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, err := Start(t.Context(), Options{Command: []string{"false"}, URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "already answers") || !strings.Contains(err.Error(), "ReuseExisting") {
		t.Fatalf("StartApp on a busy URL: %v; want it refused with ReuseExisting named", err)
	}
	app, err := Start(t.Context(), Options{Command: []string{"false"}, URL: srv.URL, ReuseExisting: true})
	if err != nil || app.Pid() != 0 {
		t.Fatalf("StartApp with ReuseExisting: %v, pid %d; want the existing app reused", err, app.Pid())
	}
	if err := app.Stop(); err != nil {
		t.Fatal(err)
	}
	<-app.Stopped() // closed for a reused app too
	if resp, err := http.Get(srv.URL); err != nil {
		t.Fatalf("Stop of a reused app stopped it: %v", err)
	} else {
		resp.Body.Close()
	}
}

// When the command exits and the URL answers, something else answers
// there (another run's app took the port): Start says so instead of
// reporting this app ready.
func TestStartAppRefusesAnAnswerFromAnotherProcess(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Connections wait in the listener's backlog until it serves, after
	// the command has exited: the probe then gets an answer.
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	timer := time.AfterFunc(3*time.Second, func() { _ = srv.Serve(l) })
	t.Cleanup(func() {
		timer.Stop()
		_ = srv.Close()
		_ = l.Close()
	})
	_, err = Start(t.Context(), Options{Command: []string{"false"}, URL: "http://" + l.Addr().String() + "/", Timeout: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "another process answers") {
		t.Fatalf("Start whose command exited while another process answers: %v; want it refused", err)
	}
}

func TestStartAppReadiness(t *testing.T) {
	for status, ready := range map[int]bool{200: true, 302: true, 401: true, 403: true, 404: false, 500: false, 503: false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if status == 302 {
				w.Header().Set("Location", "/elsewhere-that-does-not-exist")
			}
			w.WriteHeader(status)
		}))
		err := probe(t.Context(), probeClient(), srv.URL)
		srv.Close()
		if (err == nil) != ready {
			t.Errorf("status %d: probe = %v, want ready %v", status, err, ready)
		}
	}
}

func TestStartAppRefusesEmptyOptions(t *testing.T) {
	for _, opts := range []Options{{URL: "http://127.0.0.1:1/"}, {Command: []string{"true"}}} {
		if _, err := Start(t.Context(), opts); err == nil || !strings.Contains(err.Error(), "Options.") {
			t.Errorf("Start(%+v) = %v, want the missing field named", opts, err)
		}
	}
}

// A URL that cannot be polled and negative durations are refused before
// the command starts (a marker file shows it did not), naming the field.
func TestStartAppRefusesBadOptions(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	cmd := []string{"sh", "-c", "touch " + marker}
	for _, tt := range []struct {
		opts  Options
		field string
	}{
		{Options{URL: "notaurl"}, `Options.URL "notaurl" is not an absolute http or https URL`},
		{Options{URL: "ftp://127.0.0.1:1/"}, `Options.URL "ftp://127.0.0.1:1/" is not an absolute http or https URL`},
		{Options{URL: "http:///x"}, "Options.URL"},
		{Options{URL: "ftp://user:hunter2@127.0.0.1:1/"}, "Options.URL"},
		{Options{URL: "http://127.0.0.1:1/", Timeout: -time.Second}, "Options.Timeout is -1s"},
		{Options{URL: "http://127.0.0.1:1/", StopTimeout: -time.Second}, "Options.StopTimeout is -1s"},
	} {
		tt.opts.Command = cmd
		_, err := Start(t.Context(), tt.opts)
		if err == nil || !strings.HasPrefix(err.Error(), "start app: ") || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("Start(URL %q, Timeout %v, StopTimeout %v) = %v, want an error naming %s", tt.opts.URL, tt.opts.Timeout, tt.opts.StopTimeout, err, tt.field)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the URL's password: %v", err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran although the options were refused")
	}
}

func ExampleStart() {
	addr := exampleFreeAddr() // the address your app listens on, e.g. 127.0.0.1:3000
	app, err := Start(context.Background(), Options{
		Command: []string{"go", "run", "./testdata/webapp", "-listen", addr},
		URL:     "http://" + addr + "/",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// … agenttest.RunTests(m) in a TestMain …
	fmt.Println("ready")
	fmt.Println(app.Stop())
	// Output:
	// ready
	// <nil>
}

// exampleFreeAddr is a loopback address nothing listens on.
func exampleFreeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
