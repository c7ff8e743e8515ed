// Package provision makes a machine ready to run agenttest's browser:
// the Playwright driver that playwright-go expects, and a browser
// (Debian's chromium, Chrome, or Playwright's own download). The CLI's
// `agenttest install` and the fixture's browser launch use it.
//
// [Load] reads its [Settings] from the configuration snapshot ([config.Env])
// (PLAYWRIGHT_DRIVER_PATH, PLAYWRIGHT_NODEJS_PATH,
// PLAYWRIGHT_BROWSERS_PATH, AGENTTEST_BROWSER_PATH,
// PLAYWRIGHT_GO_NPM_REGISTRY, NODE_MIRROR, PLAYWRIGHT_DOWNLOAD_HOST).
// [Settings.CheckDriver], [Settings.FindBrowser] and
// [Settings.FindHeadlessBrowser] (a headless shell first, as Playwright
// launches for headless runs) only look at files; [Install] downloads
// what is missing: the driver as playwright-go does (playwright-core
// from the npm registry, Node.js from nodejs.org), else built with npm
// pack, and the browser through the driver when none is found.
package provision
