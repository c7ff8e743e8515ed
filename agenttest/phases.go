package agenttest

import "time"

// signInPhases are how long the parts of a page's sign-in took, in the
// order they run. The benchmarks report them (`make bench-ratio` prints
// them beside a bare page load's), so where a sign-in's time goes is
// measured rather than guessed.
type signInPhases struct {
	// page: the context, its trace and the page.
	page time.Duration
	// prepare: then waiting for the Backend API calls (the task, the
	// Testing Token) that ran while the browser made the page.
	prepare time.Duration
	// navigate: the Testing Token route, the task URL and the app's
	// handshake (or the shared sign-in's cookies) up to the redirect URL.
	navigate time.Duration
	// check: reading the session cookie and checking its claims.
	check time.Duration
}

// lap sets *d to the time since *mark and moves *mark to now.
func lap(d *time.Duration, mark *time.Time) {
	now := time.Now()
	*d = now.Sub(*mark)
	*mark = now
}
