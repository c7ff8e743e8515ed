package agenttest

import "sync"

// The package's process-wide state, all of it: each is the process's by
// nature (one test binary, its signals, its child processes, its
// temporary files), and agenttask keeps one more, its limiter per secret
// key.
var (
	// current is the test binary's run (see RunTests): the browser its
	// tests share, found by SignIn, NewPage and NewTask.
	current struct {
		mu  sync.Mutex
		run *testRun
	}
	// runSignalWatch says whether the run's SIGINT/SIGTERM watcher is
	// installed; the guards of the apps StartApp started, which outlive
	// the run, wait for it (see watchSignals).
	runSignalWatch signalWatch
	// startedApps are the apps StartApp started (in TestMain, around the
	// run), stopped when the binary ends early.
	startedApps appList
	// rawTraces are the unredacted traces being saved, removed by an
	// early end (see endEarly).
	rawTraces tempFiles
)
