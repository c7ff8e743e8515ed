package agenttest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// videoWant is the start of the line a page recording video without
// Playwright's ffmpeg fails with.
const videoWant = "agenttest: new page: video recording (WithContextOptions RecordVideo) needs Playwright's ffmpeg, missing at "

// Playwright's box about a missing ffmpeg becomes one line with the fix;
// other errors, a missing browser included, are left alone.
func TestVideoErrorRewritesMissingFFmpeg(t *testing.T) {
	t.Parallel()
	env := config.EnvFromMap(map[string]string{"PLAYWRIGHT_DRIVER_PATH": "/drv"})
	box := "Executable doesn't exist at /c/ms-playwright/ffmpeg-1011/ffmpeg-linux\n╔════════╗\n║ Looks like Playwright was just installed or updated. ║\n║     npx playwright install     ║\n╚════════╝"
	err := videoError(errors.New(box), env)
	require.Error(t, err)
	assert.Equal(t, videoWant+"/c/ms-playwright/ffmpeg-1011/ffmpeg-linux: download it with `/drv/node /drv/package/cli.js install ffmpeg` (reaches Playwright's CDN), or link there an ffmpeg with VP8 (libvpx), such as Debian's (`apt-get install -y ffmpeg`, then `ln -s /usr/bin/ffmpeg /c/ms-playwright/ffmpeg-1011/ffmpeg-linux`), or record without video (traces and screenshots need no ffmpeg)", err.Error())
	assert.NotContains(t, err.Error(), "npx")
	assert.Nil(t, videoError(errors.New("Executable doesn't exist at /c/ms-playwright/chromium-1169/chrome-linux/chrome\n╔══╗"), env))
	assert.Nil(t, videoError(errors.New("target closed"), env))
}

// A page of the real browser recording video where Playwright has no
// ffmpeg fails with the one line.
func TestRecordVideoWithoutFFmpeg(t *testing.T) {
	t.Parallel()
	r, err := currentRun()
	require.NoError(t, err)
	shared, err := r.sharedBrowser(t.Context())
	require.NoError(t, err)
	b := &Browser{suite: newSuite(config.EnvFromMap(map[string]string{})), browser: shared.browser}
	p, err := b.NewPage(t.Context(), WithContextOptions(playwright.BrowserNewContextOptions{RecordVideo: &playwright.RecordVideo{Dir: playwright.String(t.TempDir())}}))
	t.Cleanup(func() { _ = p.Release(context.WithoutCancel(t.Context())) })
	if err == nil {
		t.Skip("Playwright has an ffmpeg here: video recording works")
	}
	assert.True(t, strings.HasPrefix(err.Error(), videoWant), err.Error())
	assert.NotContains(t, err.Error(), "\n")
}
