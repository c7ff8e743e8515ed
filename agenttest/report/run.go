package report

import (
	"slices"
	"time"
)

// Status is how a test or package ended.
type Status string

// The statuses of a test or package. [StatusUnfinished] is a test that
// started and never reported an end (its binary panicked, timed out or
// was killed); it counts as failed.
const (
	StatusPass       Status = "pass"
	StatusFail       Status = "fail"
	StatusSkip       Status = "skip"
	StatusUnfinished Status = "unfinished"
)

// Failed reports whether s counts as a failure.
func (s Status) Failed() bool { return s == StatusFail || s == StatusUnfinished }

// Run is one `go test -json` stream: its packages in the order they
// first appeared. Every text in it is redacted.
type Run struct {
	Packages []*Package
	// Start and End are the times of the first and last events that had
	// one; both are zero for a stream without times.
	Start, End time.Time
	// Stray holds the lines that were not JSON (a `2>&1` that mixed the
	// go command's own errors into the stream).
	Stray string
	// Events is how many `go test -json` events the stream held: 0 for
	// an empty stream, or one of plain `go test` output (no -json).
	Events int
}

// Package is one package's results.
type Package struct {
	ImportPath string
	// Status is the package's own end; "" when the stream ended first.
	Status  Status
	Elapsed time.Duration
	// Tests are the package's tests and subtests in the order they
	// started, a subtest after its parent.
	Tests []*Test
	// Output is what the package printed outside any test: the final
	// FAIL line, a panic of TestMain or of a timeout.
	Output string
	// BuildOutput is the compiler's output when the package did not
	// build (the `build-output` events of its test binary).
	BuildOutput string
	// FailedBuild is the import path that failed to build, if any.
	FailedBuild string
}

// Test is one test or subtest.
type Test struct {
	// Name is the full name, "TestX/sub" for a subtest.
	Name string
	// Attempt is 1, or n for the n-th run of the test in the stream
	// (gotestsum --rerun-fails, go test -count): each is a Test of its
	// own, after the earlier ones.
	Attempt int
	Status  Status
	Elapsed time.Duration
	// Output is what the test printed, without the framing lines that
	// the structure already says (=== RUN, --- FAIL, …).
	Output string
	// Attrs are the test's t.Attr key-value pairs, in order.
	Attrs []Attr
	// ArtifactDirs are the folders the stream named for the test's
	// artifacts (see the package documentation), as written there.
	ArtifactDirs []string
}

// Attr is one t.Attr pair.
type Attr struct{ Key, Value string }

// Depth is how deep a test is nested: 0 for a top-level test.
func (t *Test) Depth() int {
	n := 0
	for _, r := range t.Name {
		if r == '/' {
			n++
		}
	}
	return n
}

// Failed reports whether the package's last end is a failure: it did
// not build, it failed (a test, TestMain, or go test before any test
// ran: a missing -outputdir, say), or the stream ended before it did.
func (p *Package) Failed() bool {
	return p.FailedBuild != "" || p.Status.Failed() || p.Status == ""
}

// TestFailed reports whether a test of the package failed (or did not
// finish), in any attempt.
func (p *Package) TestFailed() bool {
	return slices.ContainsFunc(p.Tests, func(t *Test) bool { return t.Status.Failed() })
}

// FailedOutsideTests reports whether the package failed with no failed
// test to show for it: a build failure, a failure before or after its
// tests ran, or a stream that ended before the package did.
func (p *Package) FailedOutsideTests() bool {
	return p.Failed() && !p.TestFailed()
}

// Counts returns how many tests (subtests included) passed, failed
// (unfinished included) and were skipped; each attempt of a test that
// ran more than once counts. A package that failed outside its tests
// ([Package.FailedOutsideTests]) counts as one failure, so a run counts
// no failure only when nothing failed.
func (r *Run) Counts() (passed, failed, skipped int) {
	for _, p := range r.Packages {
		if p.FailedOutsideTests() {
			failed++
		}
		for _, t := range p.Tests {
			switch {
			case t.Status == StatusPass:
				passed++
			case t.Status.Failed():
				failed++
			case t.Status == StatusSkip:
				skipped++
			}
		}
	}
	return passed, failed, skipped
}

// Failed reports whether any package or test failed, an attempt that a
// rerun then passed included.
func (r *Run) Failed() bool {
	for _, p := range r.Packages {
		if p.Failed() || p.TestFailed() {
			return true
		}
	}
	return false
}

// FailedPackages returns the packages that failed ([Package.Failed]) in
// the order they first appeared: what `go test` itself would exit 1
// for. A package whose failed tests passed when rerun (gotestsum
// --rerun-fails) ended passing and is not among them.
func (r *Run) FailedPackages() []*Package {
	var failed []*Package
	for _, p := range r.Packages {
		if p.Failed() {
			failed = append(failed, p)
		}
	}
	return failed
}
