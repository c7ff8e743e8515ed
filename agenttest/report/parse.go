package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/agenttest/agenttest/internal/redact"
)

// AttrArtifacts is the t.Attr key under which the fixture names the
// folder a failed test's page saved its artifacts into.
const AttrArtifacts = "agenttest.artifacts"

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Time        time.Time
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
	ImportPath  string // build-output, build-fail
	Key, Value  string // attr
	Path        string // artifacts
}

// artifactsLogLine is the fixture's log line naming a failed test's
// artifacts folder, as t.Logf prints it (file:line prefix and all).
var artifactsLogLine = regexp.MustCompile(`agenttest: artifacts of the failed test are in (.+?)\s*$`)

// unnamedPackage stands for the package of events that name none, as
// go tool test2json writes them without -p.
const unnamedPackage = "unnamed package"

// framingLine matches the lines of a test's output that only repeat
// what the events say.
var framingLine = regexp.MustCompile(`^\s*(=== (RUN|PAUSE|CONT|NAME|ATTR|ARTIFACTS)\s|--- (PASS|FAIL|SKIP): )`)

// parser builds a Run from events.
type parser struct {
	run      Run
	secrets  *redact.Set
	packages map[string]*pkgState
	stray    strings.Builder
	// builds is the compiler output per build target ("pkg [pkg.test]"),
	// in the order they first appeared, which a package's fail event
	// names in its FailedBuild.
	builds     map[string]*strings.Builder
	buildOrder []string
}

// pkgState is a package being read.
type pkgState struct {
	pkg    *Package
	output strings.Builder
	tests  map[string]*testState // the latest attempt of each test
	states []*testState          // every attempt, in Tests' order
}

// testState is a test being read.
type testState struct {
	test   *Test
	output strings.Builder
	ended  bool
}

// Parse reads a `go test -json` stream (several packages, any order of
// their events, lines that are not JSON kept as Run.Stray) into a Run.
// Every output, attribute value and path is redacted with the module's
// redaction plus secrets. It fails only when r fails.
func Parse(r io.Reader, secrets ...string) (*Run, error) {
	p := &parser{secrets: &redact.Set{}, packages: map[string]*pkgState{}, builds: map[string]*strings.Builder{}}
	p.secrets.Add(secrets...)
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			p.line(line)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report: read the go test -json stream: %w", err)
		}
	}
	return p.finish(), nil
}

// line reads one line of the stream.
func (p *parser) line(line string) {
	trimmed := strings.TrimSpace(line)
	if trimmed == "" {
		return
	}
	var e event
	if !strings.HasPrefix(trimmed, "{") || json.Unmarshal([]byte(trimmed), &e) != nil || e.Action == "" {
		p.stray.WriteString(strings.TrimRight(line, "\n") + "\n")
		return
	}
	p.run.Events++
	if !e.Time.IsZero() {
		if p.run.Start.IsZero() || e.Time.Before(p.run.Start) {
			p.run.Start = e.Time
		}
		if e.Time.After(p.run.End) {
			p.run.End = e.Time
		}
	}
	switch e.Action {
	case "build-output":
		b, ok := p.builds[e.ImportPath]
		if !ok {
			b = &strings.Builder{}
			p.builds[e.ImportPath] = b
			p.buildOrder = append(p.buildOrder, e.ImportPath)
		}
		b.WriteString(e.Output)
		return
	case "build-fail":
		return // the package's fail event names it in FailedBuild
	}
	if e.Package == "" {
		// go tool test2json without -p names no package: its events are
		// one package's all the same.
		e.Package = unnamedPackage
	}
	ps := p.pkg(e.Package)
	if e.Test == "" {
		p.packageEvent(ps, e)
		return
	}
	ts := ps.test(e.Test)
	if e.Action == "run" && ts.ended {
		ts = ps.rerun(ts) // gotestsum --rerun-fails, or -count=n
	}
	switch e.Action {
	case "output":
		if m := artifactsLogLine.FindStringSubmatch(e.Output); m != nil {
			ts.test.ArtifactDirs = appendNew(ts.test.ArtifactDirs, m[1])
		}
		if !framingLine.MatchString(e.Output) {
			ts.output.WriteString(e.Output)
		}
	case "attr":
		ts.test.Attrs = append(ts.test.Attrs, Attr{Key: e.Key, Value: e.Value})
		if e.Key == AttrArtifacts {
			ts.test.ArtifactDirs = appendNew(ts.test.ArtifactDirs, e.Value)
		}
	case "artifacts":
		ts.test.ArtifactDirs = appendNew(ts.test.ArtifactDirs, e.Path)
	case "pass", "fail", "skip":
		ts.test.Status = Status(e.Action)
		ts.test.Elapsed = seconds(e.Elapsed)
		ts.ended = true
	}
}

// packageEvent reads an event of the package itself.
func (p *parser) packageEvent(ps *pkgState, e event) {
	switch e.Action {
	case "output":
		ps.output.WriteString(e.Output)
	case "pass", "fail", "skip":
		ps.pkg.Status = Status(e.Action)
		ps.pkg.Elapsed = seconds(e.Elapsed)
		if e.FailedBuild != "" {
			ps.pkg.FailedBuild = e.FailedBuild
		}
	}
}

// pkg returns the package named path, added on first sight.
func (p *parser) pkg(path string) *pkgState {
	ps, ok := p.packages[path]
	if !ok {
		ps = &pkgState{pkg: &Package{ImportPath: path}, tests: map[string]*testState{}}
		p.packages[path] = ps
		p.run.Packages = append(p.run.Packages, ps.pkg)
	}
	return ps
}

// test returns the test named name, added on first sight.
func (ps *pkgState) test(name string) *testState {
	ts, ok := ps.tests[name]
	if !ok {
		ts = &testState{test: &Test{Name: name, Attempt: 1}}
		ps.add(ts)
	}
	return ts
}

// rerun starts another attempt of the test that prev ended.
func (ps *pkgState) rerun(prev *testState) *testState {
	ts := &testState{test: &Test{Name: prev.test.Name, Attempt: prev.test.Attempt + 1}}
	ps.add(ts)
	return ts
}

// add records a test's attempt as its latest.
func (ps *pkgState) add(ts *testState) {
	ps.tests[ts.test.Name] = ts
	ps.states = append(ps.states, ts)
	ps.pkg.Tests = append(ps.pkg.Tests, ts.test)
}

// finish redacts what was read, gives each package that did not build
// its compiler output, and marks the tests that never ended. Compiler
// output no package claims (a stream cut short) goes to Stray.
func (p *parser) finish() *Run {
	claimed := map[string]bool{}
	for _, pkg := range p.run.Packages {
		ps := p.packages[pkg.ImportPath]
		pkg.Output = p.secrets.String(ps.output.String())
		if b, ok := p.builds[pkg.FailedBuild]; ok {
			pkg.BuildOutput = p.secrets.String(b.String())
			claimed[pkg.FailedBuild] = true
		}
		for _, ts := range ps.states {
			t := ts.test
			if !ts.ended {
				t.Status = StatusUnfinished
			}
			t.Output = p.secrets.String(ts.output.String())
			for i := range t.Attrs {
				t.Attrs[i].Value = p.secrets.String(t.Attrs[i].Value)
			}
			for i := range t.ArtifactDirs {
				t.ArtifactDirs[i] = p.secrets.String(t.ArtifactDirs[i])
			}
		}
	}
	for _, target := range p.buildOrder {
		if !claimed[target] {
			p.stray.WriteString(p.builds[target].String())
		}
	}
	p.run.Stray = p.secrets.String(p.stray.String())
	return &p.run
}

// seconds converts an Elapsed field.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

// appendNew appends s unless list has it.
func appendNew(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}
