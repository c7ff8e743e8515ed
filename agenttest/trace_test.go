package agenttest

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/provision"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTraceModes(t *testing.T) {
	if artifactsFlagSet() {
		t.Skip("checks the fixture's own artifacts folders, not go test -artifacts")
	}
	s := fixtureStart(t)
	dir := t.TempDir()
	folder := func(t *testing.T) string { return filepath.Join(dir, unsafePathChars.ReplaceAllString(t.Name(), "_")) }
	var onDir, offDir string
	t.Run("on keeps a passed test's trace", func(t *testing.T) {
		onDir = folder(t)
		SignIn(t, s.opts(AsUser(fixtureAda), WithArtifactsDir(dir), WithTrace(TraceOn))...)
	})
	t.Run("retain-on-failure keeps nothing of a passed test", func(t *testing.T) {
		offDir = folder(t)
		SignIn(t, s.opts(AsUser(fixtureAda), WithArtifactsDir(dir))...)
	})
	zr, err := zip.OpenReader(filepath.Join(onDir, artifactTrace))
	require.NoError(t, err, "TraceOn: the passed test's trace.zip")
	assert.NotEmpty(t, zr.File)
	require.NoError(t, zr.Close())
	_, err = os.Stat(offDir)
	assert.ErrorIs(t, err, os.ErrNotExist)

	// The mode is checked before a context is made.
	p, err := NewPageContext(fixtureCtx(t), s.opts(WithTrace("sometimes"))...)
	require.ErrorContains(t, err, `agenttest.WithTrace: trace mode "sometimes": use off, retain-on-failure or on`)
	assert.Nil(t, p.BrowserContext)
	// A sign-in checks it before it creates a task.
	creates := s.emu.Requests(clerkemu.RouteCreateTask)
	p, err = SignInContext(fixtureCtx(t), s.opts(AsUser(fixtureAda), WithTrace("sometimes"))...)
	require.ErrorContains(t, err, `agenttest.WithTrace: trace mode "sometimes"`)
	require.NoError(t, p.Release(fixtureCleanupCtx(t)))
	assert.Equal(t, creates, s.emu.Requests(clerkemu.RouteCreateTask), "no task for a page that cannot open")
	st := newSuite(config.EnvFromMap(map[string]string{config.VarTrace: "ON"}))
	m, err := st.traceMode(options{})
	require.NoError(t, err)
	assert.Equal(t, TraceOn, m, "AGENTTEST_TRACE, any case")
	st = newSuite(config.EnvFromMap(map[string]string{config.VarTrace: "always"}))
	_, err = st.traceMode(options{})
	assert.ErrorContains(t, err, `AGENTTEST_TRACE: trace mode "always"`)
}

// TestTraceActionTitles saves a real trace through the fixture and reads
// it back. Each action is recorded by its protocol class and method, with
// no client-side name: Playwright 1.53+ builds the title the viewer lists
// from those ("Navigate", `Expect "to.have.text"`), while playwright-go
// v0.5200.1 with Playwright 1.52 named every action after the stack frame
// it took for its own, SerializeCallStack. The driver's `trace actions`,
// which renders titles as `agenttest show-trace`'s viewer does, lists them.
// Each action's stack starts at its caller (see trimTraceStacks).
func TestTraceActionTitles(t *testing.T) {
	if artifactsFlagSet() {
		t.Skip("reads the fixture's own artifacts folder, not go test -artifacts")
	}
	s := fixtureStart(t)
	dir := t.TempDir()
	var trace string
	t.Run("traced", func(t *testing.T) {
		trace = filepath.Join(dir, unsafePathChars.ReplaceAllString(t.Name(), "_"), artifactTrace)
		p := SignIn(t, s.opts(AsUser(fixtureAda), WithArtifactsDir(dir), WithTrace(TraceOn))...)
		_, err := p.Goto("/dashboard")
		require.NoError(t, err)
		require.NoError(t, fixtureExpect().Locator(p.Locator("header")).ToContainText("Welcome"))
	})

	var calls []string
	callers := traceCallers(t, trace)
	for _, ev := range traceBeforeEvents(t, trace) {
		assert.NotContains(t, ev, "apiName", "an action named by the client: %v", ev)
		if title, ok := ev["title"].(string); ok {
			assert.NotContains(t, title, "SerializeCallStack", "an action titled after playwright-go's stack walker: %v", ev)
		}
		params, _ := ev["params"].(map[string]any)
		calls = append(calls, fmt.Sprintf("%v.%v %v%v from %s", ev["class"], ev["method"], params["url"], params["selector"], callers[ev["callId"].(string)]))
	}
	// Each action's stack starts at its caller, not inside playwright-go
	// (the Source tab opens there).
	assert.Contains(t, calls, "Frame.goto /dashboard<nil> from github.com/agenttest/agenttest/agenttest.(*Page).Goto")
	assert.Contains(t, calls, "Frame.expect <nil>header from github.com/agenttest/agenttest/agenttest.TestTraceActionTitles.func1")

	actions := traceViewerActions(t, trace)
	assert.Contains(t, actions, "Navigate /dashboard")
	assert.Contains(t, actions, `Expect "to.have.text" locator('header')`)
	for _, a := range actions {
		assert.NotContains(t, a, "SerializeCallStack")
	}
}

// traceBeforeEvents reads the "before" events of a trace zip's .trace
// entries: one per action, as Playwright recorded it.
func traceBeforeEvents(t *testing.T, trace string) []map[string]any {
	t.Helper()
	zr, err := zip.OpenReader(trace)
	require.NoError(t, err)
	defer zr.Close()
	var events []map[string]any
	for _, f := range zr.File {
		if filepath.Ext(f.Name) != ".trace" {
			continue
		}
		rc, err := f.Open()
		require.NoError(t, err)
		dec := json.NewDecoder(rc)
		for dec.More() {
			var ev map[string]any
			require.NoError(t, dec.Decode(&ev), f.Name)
			if ev["type"] == "before" {
				events = append(events, ev)
			}
		}
		require.NoError(t, rc.Close())
	}
	require.NotEmpty(t, events, "no action in %s", trace)
	return events
}

// traceCallers reads a trace zip's trace.stacks: for each action's call
// id, the function of the first frame of its stack.
func traceCallers(t *testing.T, trace string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(trace)
	require.NoError(t, err)
	defer zr.Close()
	rc, err := zr.Open("trace.stacks")
	require.NoError(t, err)
	defer rc.Close()
	var doc struct {
		Stacks [][]json.RawMessage `json:"stacks"`
	}
	require.NoError(t, json.NewDecoder(rc).Decode(&doc))
	callers := map[string]string{}
	for _, call := range doc.Stacks {
		var id string
		var frames [][]any
		require.NoError(t, json.Unmarshal(call[0], &id))
		require.NoError(t, json.Unmarshal(call[1], &frames))
		if len(frames) > 0 {
			callers[id], _ = frames[0][3].(string)
		}
	}
	return callers
}

// traceViewerActions lists a trace's actions with the driver's own
// `trace open` and `trace actions`: each as its title and, when it has
// one, its subtitle (the URL, the locator) joined by a space.
func traceViewerActions(t *testing.T, trace string) []string {
	t.Helper()
	env, err := config.LoadEnv()
	require.NoError(t, err)
	prov := provision.Load(env)
	driverDir, err := prov.DriverDir()
	require.NoError(t, err)
	node := prov.NodePath
	if node == "" {
		node = filepath.Join(driverDir, "node")
	}
	work := t.TempDir() // `trace open` unpacks into the working directory
	run := func(args ...string) string {
		cmd := exec.CommandContext(t.Context(), node, append([]string{filepath.Join(driverDir, "package", "cli.js"), "trace"}, args...)...)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "playwright trace %s: %s", args[0], out)
		return string(out)
	}
	run("open", trace)
	// "    5. 0:00.171  Navigate          50ms", then its subtitle, if any,
	// alone on the next line.
	numbered := regexp.MustCompile(`^\s*\d+\.\s+\d+:\d+\.\d+\s+(.*?)\s+\d+ms$`)
	var actions []string
	for line := range strings.Lines(run("actions")) {
		line = strings.TrimRight(line, "\n")
		if m := numbered.FindStringSubmatch(line); m != nil {
			actions = append(actions, m[1])
		} else if sub := strings.TrimSpace(line); sub != "" && len(actions) > 0 && strings.HasPrefix(line, "      ") {
			actions[len(actions)-1] += " " + sub
		}
	}
	require.NotEmpty(t, actions, "playwright trace actions listed nothing for %s", trace)
	return actions
}

func TestTrimTraceStacks(t *testing.T) {
	in := `{"files":["/m/playwright-go@v1/connection.go","/w/e2e/a_test.go"],"stacks":[` +
		`["c@1",[[0,230,0,"github.com/mxschmitt/playwright-go.(*connection).WrapAPICall"],[0,9,0,"github.com/mxschmitt/playwright-go/internal/safe.Do"],[1,20,0,"e2e.TestA"],[0,5,0,"github.com/mxschmitt/playwright-go.(*pageImpl).Goto"]]],` +
		`["c@2",[[0,75,0,"github.com/mxschmitt/playwright-go.(*routeImpl).raceWithPageClose.func1"]]]]}`
	want := `{"files":["/m/playwright-go@v1/connection.go","/w/e2e/a_test.go"],"stacks":[` +
		`["c@1",[[1,20,0,"e2e.TestA"],[0,5,0,"github.com/mxschmitt/playwright-go.(*pageImpl).Goto"]]],` +
		`["c@2",[]]]}`
	assert.JSONEq(t, want, string(trimTraceStacks([]byte(in))), "the frames above the first caller outside playwright-go go")
	for _, bad := range []string{`not json`, `{"stacks":[["c@1"]]}`, `{"stacks":[["c@1",{"x":1}]]}`} {
		assert.Equal(t, bad, string(trimTraceStacks([]byte(bad))), "unreadable data is kept as is")
	}
}
