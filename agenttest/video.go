package agenttest

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
)

// missingExecutable starts Playwright's error for a browser or tool it
// has not downloaded; the path follows, then a box advising npx.
const missingExecutable = "Executable doesn't exist at "

// videoError rewrites Playwright's error for a page that records video
// (WithContextOptions RecordVideo) without Playwright's ffmpeg: a box
// advising `npx playwright install`, which needs npm and the network,
// becomes one line naming the missing file and the ways to provide it.
// It returns nil when err is another error.
func videoError(err error, env config.Env) error {
	msg := err.Error()
	i := strings.Index(msg, missingExecutable)
	if i < 0 {
		return nil
	}
	path, _, _ := strings.Cut(msg[i+len(missingExecutable):], "\n")
	path = strings.TrimSpace(path)
	if !strings.Contains(filepath.Base(filepath.Dir(path)), "ffmpeg") {
		return nil
	}
	install := "playwright install ffmpeg"
	prov := provision.Load(env)
	if dir, derr := prov.DriverDir(); derr == nil {
		node := prov.NodePath
		if node == "" {
			node = filepath.Join(dir, "node")
		}
		install = node + " " + filepath.Join(dir, "package", "cli.js") + " install ffmpeg"
	}
	return &redactedError{
		msg:  fmt.Sprintf("agenttest: new page: video recording (WithContextOptions RecordVideo) needs Playwright's ffmpeg, missing at %s: download it with `%s` (reaches Playwright's CDN), or link there an ffmpeg with VP8 (libvpx), such as Debian's (`apt-get install -y ffmpeg`, then `ln -s /usr/bin/ffmpeg %s`), or record without video (traces and screenshots need no ffmpeg)", path, install, path),
		kind: playwrightKind(err),
	}
}
