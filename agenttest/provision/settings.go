package provision

import "github.com/agenttest/agenttest/agenttest/config"

// Settings are the variables that say where the Playwright driver and
// the browsers are. The zero value uses playwright-go's defaults. Read
// them with [Load]; nothing in this package reads the process
// environment itself.
type Settings struct {
	// DriverPath is PLAYWRIGHT_DRIVER_PATH: the driver's directory.
	// Empty means playwright-go's default (see [Settings.DriverDir]).
	DriverPath string
	// NodePath is PLAYWRIGHT_NODEJS_PATH: the Node.js that runs the
	// driver. Empty means <driver dir>/node.
	NodePath string
	// BrowsersPath is PLAYWRIGHT_BROWSERS_PATH: where Playwright keeps
	// its own browsers ("0": inside the driver). Empty means the user's
	// cache directory + "ms-playwright".
	BrowsersPath string
	// BrowserPath is AGENTTEST_BROWSER_PATH: a browser executable to use
	// instead of looking for one.
	BrowserPath string
	// NPMRegistry is PLAYWRIGHT_GO_NPM_REGISTRY: the npm registry
	// playwright-go downloads playwright-core from. Empty means
	// https://registry.npmjs.org.
	NPMRegistry string
	// NodeMirror is NODE_MIRROR: where playwright-go downloads the
	// driver's Node.js from. Empty means https://nodejs.org/dist.
	NodeMirror string
	// DownloadHost is PLAYWRIGHT_DOWNLOAD_HOST: where the driver's
	// `install <browser>` downloads a browser from, instead of
	// Playwright's CDN.
	DownloadHost string
}

// Load reads the Settings from an environment snapshot (see
// [config.LoadEnv]: the process over .env.local over .env).
func Load(env config.Env) Settings {
	get := func(name string) string { v, _ := env.Lookup(name); return v }
	return Settings{
		DriverPath:   get(config.VarDriverPath),
		NodePath:     get(config.VarNodePath),
		BrowsersPath: get(config.VarBrowsersPath),
		BrowserPath:  get(config.VarBrowserPath),
		NPMRegistry:  get(config.VarNPMRegistry),
		NodeMirror:   get(config.VarNodeMirror),
		DownloadHost: get(config.VarDownloadHost),
	}
}
