package agenttest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Bounds of an early end: how long revoking what is in flight may take,
// and how long before the binary's -timeout the watchdog acts.
const (
	emergencyRevokeTimeout = 5 * time.Second
	maxTimeoutMargin       = 10 * time.Second
)

// timeoutMargin is how long before the -timeout panic the watchdog
// revokes what is in flight: a tenth of the timeout, at most 10 s.
func timeoutMargin(timeout time.Duration) time.Duration {
	return min(timeout/10, maxTimeoutMargin)
}

// binaryTimeout is the test binary's -timeout (0: none), which m.Run
// turns into a panic that runs no cleanup.
func binaryTimeout() time.Duration {
	if !flag.Parsed() {
		flag.Parse() // what m.Run would do first
	}
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0
	}
	d, _ := time.ParseDuration(f.Value.String())
	return d
}

// endEarly revokes what is in flight, bounded, stops the apps StartApp
// started, and says why on stderr.
func (r *testRun) endEarly(why string) {
	ctx, cancel := context.WithTimeout(context.Background(), emergencyRevokeTimeout)
	defer cancel()
	fmt.Fprintf(os.Stderr, "agenttest: %s: revoking every task and session in flight\n", why)
	if err := r.inflight.revokeAll(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "agenttest: %s: %v\n", why, err)
	}
	// The apps StartApp started: their process groups are their own, so
	// the signal that ends this binary does not reach them.
	if err := startedApps.stopAll(); err != nil {
		fmt.Fprintf(os.Stderr, "agenttest: %s: stop the app: %v\n", why, err)
	}
	// Last, after the apps' stop (up to their StopTimeout): a save in
	// progress would leave its unredacted trace, and one that starts
	// later records none.
	rawTraces.removeAll()
}

// endOnPanic ends the run early, once, from the cleanup of a test that
// panicked: the binary dies right after that test's cleanups, with no
// cleanup of the other tests, the release queue or the run. Under
// -test.fuzz, where testing recovers the panic and goes on, it does
// nothing.
func (r *testRun) endOnPanic() {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return
	}
	r.panicked.Do(func() { r.endEarly("a test panicked") })
}

// panicking reports whether the calling goroutine runs the deferred
// calls of a panic. A test's cleanups run so when the test panicked,
// before testing marks the test failed and ends the binary.
func panicking() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			return true
		}
		if !more {
			return false
		}
	}
}

// watchTimeout arms the watchdog that revokes what is in flight shortly
// before the binary's -timeout panic, since Go runs no cleanup then. It
// returns the function that disarms it.
func (r *testRun) watchTimeout(timeout time.Duration) (stop func()) {
	if timeout <= 0 {
		return func() {}
	}
	t := time.AfterFunc(timeout-timeoutMargin(timeout), func() {
		r.endEarly(fmt.Sprintf("the test binary's -timeout %s is about to pass", timeout))
	})
	return func() { t.Stop() }
}

// endingSignals end a test binary: SIGINT (Ctrl-C), SIGTERM, and SIGHUP
// (its terminal closed). Each revokes what is in flight and stops the
// apps StartApp started before the binary ends as the signal says.
var endingSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// watchSignals makes the endingSignals revoke what is in flight, then
// end the binary as the signal would have (the default action, so the
// exit status is the usual one). It returns the function that stops
// watching and waits for the watcher to end.
func (r *testRun) watchSignals() (stop func()) {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	ended := make(chan struct{})
	watching := runSignalWatch.begin()
	signal.Notify(ch, endingSignals...)
	handle := func(sig os.Signal) {
		r.endEarly("received " + sig.String())
		raise(sig)
	}
	go func() {
		defer close(ended)
		select {
		case sig := <-ch:
			handle(sig)
		case <-done:
			select {
			case sig := <-ch: // it came with the stop: still the run's
				handle(sig)
			default:
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		<-ended
		// From here a signal is the apps' guards' to handle (StartApp).
		runSignalWatch.end(watching)
	}
}

// signalWatch is the channel of the installed run watcher, closed when
// it stops watching; nil when none is installed.
type signalWatch struct {
	mu      sync.Mutex
	stopped chan struct{}
}

// begin records a watcher and returns its channel, for end.
func (w *signalWatch) begin() chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = make(chan struct{})
	return w.stopped
}

// end records that the watcher of stopped no longer watches.
func (w *signalWatch) end(stopped chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(stopped)
	if w.stopped == stopped {
		w.stopped = nil
	}
}

// wait returns once no run watcher is installed.
func (w *signalWatch) wait() {
	w.mu.Lock()
	stopped := w.stopped
	w.mu.Unlock()
	if stopped != nil {
		<-stopped
	}
}

// raise ends the process as sig would have without a handler: the
// default action, so the exit status is the usual one.
func raise(sig os.Signal) {
	signal.Reset(sig)
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Signal(sig)
	}
	// The default action ends the process; should it not, exit as a
	// shell reports a signal: 128 + its number.
	time.Sleep(time.Second)
	if s, ok := sig.(syscall.Signal); ok {
		os.Exit(128 + int(s))
	}
	os.Exit(1)
}
