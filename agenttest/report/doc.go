// Package report turns a `go test -json` stream and the artifacts of
// the failed tests into one self-contained HTML page that a person can
// read: a summary (passed, failed, skipped, total time), every package
// and test with its status and duration, and for each failure the
// test's output, its screenshot inline, its console log and links to
// its Playwright trace and page HTML. A test that passed and kept its
// trace (the fixture's TraceOn) has it linked beside its name, from the
// folders its stream names.
//
// [Parse] reads the stream into a [Run]; [Write] renders it. The CLI's
// `agenttest report DIR` is a thin wrapper over the two.
//
// A failed test's artifacts are found from the stream itself, in this
// order: the fixture's `attr` event agenttest.artifacts (the folder it
// saved into), the `artifacts` event of `go test -artifacts`
// (t.ArtifactDir), the fixture's log line "artifacts of the failed test
// are in DIR", and last the folder the fixture names after the test
// under the artifacts directory. A path that no longer exists where the
// stream says (a CI run's artifacts downloaded elsewhere) is looked for
// under the artifacts directory by its trailing path elements.
//
// Nothing in a report may sign anyone in: every text taken from the
// stream or an artifact goes through the module's redaction (secret
// keys, JWTs, Clerk's credential parameters and cookies, URLs' query
// values, and the secrets given in [Options.Secrets]). The fixture's
// artifacts are redacted already; a test's own log lines may not be.
//
// Limits: screenshots larger than [Options.MaxImageBytes], or past
// [Options.MaxInlineBytes] for the whole page, are linked instead of
// inlined; long outputs and console logs keep their start and end. The
// trace is linked, not embedded: open it with `agenttest show-trace`.
package report
