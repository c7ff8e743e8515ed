// Package tiny is a small suite that fails on purpose, for the report's
// tests: it leaves artifacts the way the fixture does (a folder per
// test under TINY_ARTIFACTS_DIR, named in an agenttest.artifacts
// attribute and a log line) and the way t.ArtifactDir does, without a
// browser. Its log lines hold credential-shaped strings that the report
// must redact.
package tiny

import (
	"archive/zip"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// The fake credentials a test logs; the report must not show them.
const (
	fakeSecretKey = "sk_test_tinyFAKEsecretKEY0123456789abcdefABCDEF"
	fakeTicket    = "tkt_tinyFAKEticket0123456789abcdef"
)

func TestPasses(t *testing.T) {}

func TestSkips(t *testing.T) { t.Skip("skipped on purpose: needs nothing") }

func TestFailsWithArtifacts(t *testing.T) {
	base := os.Getenv("TINY_ARTIFACTS_DIR")
	if base == "" {
		t.Skip("TINY_ARTIFACTS_DIR is not set")
	}
	dir := filepath.Join(base, "TestFailsWithArtifacts")
	writeArtifacts(t, dir, color.RGBA{R: 0x1d, G: 0x4e, B: 0xd8, A: 0xff}, "log: the dashboard loaded\nerror: Failed to load resource: the server responded with a status of 500 (Internal Server Error)\n")
	writeArtifacts(t, filepath.Join(dir, "page-2"), color.RGBA{R: 0x06, G: 0x76, B: 0x47, A: 0xff}, "")
	t.Logf("visited http://127.0.0.1:1/v1/agents/tasks?ticket=%s with key %s", fakeTicket, fakeSecretKey)
	t.Errorf("header: want %q, got %q", "Welcome, Ada", "Sign in")
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Attr("agenttest.artifacts", abs)
	t.Logf("agenttest: artifacts of the failed test are in %s", dir)
}

func TestFailsInArtifactDir(t *testing.T) {
	writeArtifacts(t, t.ArtifactDir(), color.RGBA{R: 0xb4, G: 0x23, B: 0x18, A: 0xff}, "")
	t.Fatal("the order was not placed")
}

func TestParent(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("broken", func(t *testing.T) { t.Error("the subtest failed: 1 != 2") })
}

// writeArtifacts writes what the fixture saves for a page: a screenshot
// of one colour, an empty trace, the page's HTML and a console log.
func writeArtifacts(t *testing.T, dir string, c color.Color, console string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for y := range 200 {
		for x := range 320 {
			img.Set(x, y, c)
		}
	}
	f, err := os.Create(filepath.Join(dir, "screenshot.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	z, err := os.Create(filepath.Join(dir, "trace.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := zip.NewWriter(z).Close(); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"page.html": "<html><body>Sign in</body></html>", "console.log": console} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
