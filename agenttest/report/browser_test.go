package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/agenttest/report"
	"github.com/agenttest/agenttest/fixtures/childenv"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

// TestReportInChromium runs a small signed-in suite (testdata/signedin:
// one spec passes, one fails) under go test -json -artifacts against
// the emulator and the demo app, makes its report, opens the report in
// Chromium and checks what a person sees there: the counts, the failed
// test with its error, its screenshot loaded (naturalWidth > 0) and its
// console log, the passing test listed. A screenshot of the report goes
// into this test's artifacts (go test -artifacts to keep it).
func TestReportInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a signed-in suite in a browser")
	}
	stack := demoapp.RunStackT(t, demoapp.StackOptions{})
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", "test", "-json", "-count=1", "-artifacts", "-outputdir="+out, "./testdata/signedin")
	cmd.Env = childenv.Clean(stack.Env())
	var stream, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stream, &stderr
	var exit *exec.ExitError
	require.ErrorAs(t, cmd.Run(), &exit, "one spec fails on purpose; stderr:\n%s\nstream:\n%s", stderr.String(), stream.String())
	require.Contains(t, stream.String(), `"Action":"attr"`, "the fixture named the artifacts")

	run, err := report.Parse(&stream, stack.Emulator.SecretKey())
	require.NoError(t, err)
	reportFile := filepath.Join(out, "report.html")
	require.NoError(t, report.WriteFile(reportFile, run, report.Options{Title: "signed-in suite", ArtifactsDir: out}))
	html, err := os.ReadFile(reportFile)
	require.NoError(t, err)
	require.NotContains(t, string(html), stack.Emulator.SecretKey())

	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
	defer cancel()
	browser, err := agenttest.LaunchBrowser(ctx)
	require.NoError(t, err)
	defer browser.Close()
	page, err := browser.NewPage(ctx)
	require.NoError(t, err)
	defer page.Release(context.WithoutCancel(ctx))
	_, err = page.Goto("file://" + filepath.ToSlash(reportFile))
	require.NoError(t, err)

	expect := playwright.NewPlaywrightAssertions()
	require.NoError(t, expect.Locator(page.Locator("#failed-count")).ToHaveText("1"))
	require.NoError(t, expect.Locator(page.Locator("#passed-count")).ToHaveText("1"))
	failure := page.Locator(`section.failure[data-test="TestDashboardListsOrders"]`)
	require.NoError(t, expect.Locator(failure).ToBeVisible())
	require.NoError(t, expect.Locator(failure.Locator("pre.output")).ToContainText("the dashboard lists the user's orders"))
	require.NoError(t, expect.Locator(failure.Locator("pre.console")).ToContainText("orders API answered 503"))
	require.NoError(t, expect.Locator(failure.Locator("code.cmd")).ToContainText("agenttest show-trace _artifacts/"))
	img := failure.Locator("img.screenshot")
	require.NoError(t, expect.Locator(img).ToBeVisible())
	width, err := img.Evaluate(`img => img.complete ? img.naturalWidth : 0`, nil)
	require.NoError(t, err)
	require.Greater(t, width, 0, "the screenshot loaded")
	passing := page.Locator(`tr.test[data-test="TestDashboardWelcomesTheUser"]`)
	require.NoError(t, expect.Locator(passing).ToContainText("passed"))
	require.NoError(t, expect.Locator(page.Locator(`section.failure[data-test="TestDashboardWelcomesTheUser"]`)).ToHaveCount(0))

	shot := filepath.Join(t.ArtifactDir(), "report.png")
	_, err = page.Screenshot(playwright.PageScreenshotOptions{Path: playwright.String(shot), FullPage: playwright.Bool(true)})
	require.NoError(t, err)
	t.Logf("the report, as Chromium shows it: %s", shot)
}
