// Package nextapp holds end-to-end specs of a Next.js app protected by
// Clerk's own SDK, @clerk/nextjs (fixtures/nextapp, built by `make
// setup`): clerk-js runs in the page, so the sign-in, the token refresh
// and the sign-out are Clerk's browser SDK's own. Copy one to start your
// own.
//
// TestMain starts an emulated Clerk and the app twice, on the two ways a
// browser reaches a development instance's Frontend API: through a proxy
// URL (the app also gets NEXT_PUBLIC_CLERK_PROXY_URL), and with only the
// instance's keys, as in production, the fixture sending the browser's
// requests to the publishable key's https host to the emulator. With
// CLERK_SECRET_KEY set (a real instance), the specs skip.
package nextapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// The seed users (clerkemu.SeedUsers) the specs sign in as. Grace's
// address here is a test address, which takes Clerk's development code.
const (
	ada        = "user_2ada0000000000000000000001"
	grace      = "user_2grace000000000000000000002"
	graceEmail = "grace+clerk_test@example.com"
)

// stack is the emulator and the two apps TestMain started, nil against
// a real instance. Set once before any spec runs, only read after.
var stack *nextStack

// nextStack is an emulated Clerk and the Next.js app started twice on it.
type nextStack struct {
	emu *clerkemu.Emulator
	// proxied is configured with the emulator's NEXT_PUBLIC_ variables (its
	// proxy URL among them); keysOnly with
	// CLERK_SECRET_KEY and NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY alone (and
	// CLERK_API_URL: its server calls the Backend API itself).
	proxied, keysOnly *agenttest.App
	// vars are the run's variables (RunTestsWith): the emulator's, and
	// AGENTTEST_APP_URL.
	vars map[string]string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := config.LoadEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if key, _ := env.Lookup(config.VarSecretKey); key != "" {
		return agenttest.RunTests(m) // every spec skips: see needStack
	}
	s, err := startStack(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "nextapp:", err)
		return 1
	}
	stack = s
	code := agenttest.RunTestsWith(m, s.vars)
	if active := s.emu.Sessions(clerkemu.SessionActive); len(active) > 0 {
		fmt.Fprintf(os.Stderr, "nextapp: %d session(s) left active after the suite, e.g. %s\n", len(active), active[0].ID)
		code = 1
	}
	if err := s.close(); err != nil {
		fmt.Fprintln(os.Stderr, "nextapp:", err)
		code = 1
	}
	return code
}

// startStack starts the emulator, then the app on it both ways, each
// with only the variables given here, and keeps the variables the run
// gets.
func startStack(ctx context.Context) (*nextStack, error) {
	dir, err := filepath.Abs("../../fixtures/nextapp")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, ".next", "BUILD_ID")); err != nil {
		return nil, errors.New("fixtures/nextapp is not built: run make setup (it runs npm ci and next build there)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, errors.New("node is not installed: the Next.js app needs Node 20.9+")
	}
	// clerk-js's and @clerk/ui's bundles, which make setup installs there.
	modules, err := filepath.Abs("../../fixtures/node/node_modules")
	if err != nil {
		return nil, err
	}
	users := clerkemu.SeedUsers()
	for i := range users {
		if users[i].ID == grace {
			users[i].EmailAddresses[0].EmailAddress = graceEmail
		}
	}
	emu, err := clerkemu.Start(clerkemu.Options{Users: users, NodeModules: modules})
	if err != nil {
		return nil, err
	}
	s := &nextStack{emu: emu}
	vars := map[string]string{}
	for _, v := range emu.Env() {
		vars[v.Name] = v.Value
	}
	keys := []string{
		"CLERK_TELEMETRY_DISABLED=1", "NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED=1",
		"CLERK_SECRET_KEY=" + vars["CLERK_SECRET_KEY"],
		"NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=" + vars["NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY"],
		"CLERK_API_URL=" + vars["CLERK_API_URL"],
	}
	// Every NEXT_PUBLIC_ variable the emulator prints: the proxy URL,
	// where clerk-js's scripts are (@clerk/nextjs would otherwise ask for
	// them at https://<proxy host>), telemetry off.
	proxied := slices.Clone(keys)
	for name, value := range vars {
		if strings.HasPrefix(name, "NEXT_PUBLIC_") {
			proxied = append(proxied, name+"="+value)
		}
	}
	if s.proxied, err = startNext(ctx, dir, proxied); err != nil {
		return nil, errors.Join(err, s.close())
	}
	if s.keysOnly, err = startNext(ctx, dir, keys); err != nil {
		return nil, errors.Join(err, s.close())
	}
	// The app the fixture follows redirects of (see agenttest's
	// emulated Frontend API): the one configured with the keys alone.
	vars[config.VarAppURL] = strings.TrimSuffix(s.keysOnly.URL(), "/")
	s.vars = vars
	return s, nil
}

// startNext runs `next start` for the built app on a free loopback port
// with env added to this process's environment.
func startNext(ctx context.Context, dir string, env []string) (*agenttest.App, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// On localhost, as `next start` runs by default: given -H 127.0.0.1,
	// Next.js 16 serves clerkMiddleware's rewrites by proxying to
	// localhost, which is then another origin, and the page hangs.
	return agenttest.StartApp(ctx, agenttest.AppOptions{
		Command: []string{filepath.Join(dir, "node_modules", ".bin", "next"), "start", "-H", "localhost", "-p", strconv.Itoa(port)},
		Dir:     dir,
		URL:     "http://localhost:" + strconv.Itoa(port) + "/",
		Env:     append(env, "NEXT_TELEMETRY_DISABLED=1", "NODE_ENV=production"),
	})
}

// freePort is a loopback TCP port free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// close stops the apps, then the emulator.
func (s *nextStack) close() error {
	var errs []error
	for _, app := range []*agenttest.App{s.proxied, s.keysOnly} {
		if app != nil {
			errs = append(errs, app.Stop())
		}
	}
	return errors.Join(append(errs, s.emu.Close())...)
}

// needStack skips a spec when the suite runs against a real instance.
func needStack(t *testing.T) *nextStack {
	t.Helper()
	if stack == nil {
		t.Skip("needs the embedded Clerk emulator and the Next.js app it starts")
	}
	return stack
}

// ways are the two ways the app reaches the emulator, for specs that
// run on both.
func (s *nextStack) ways() []struct {
	name string
	url  string
} {
	return []struct {
		name string
		url  string
	}{
		{"proxy URL", strings.TrimSuffix(s.proxied.URL(), "/")},
		{"keys only", strings.TrimSuffix(s.keysOnly.URL(), "/")},
	}
}

// agenttaskClient is a Backend API client of the emulator.
func agenttaskClient(s *nextStack) (*agenttask.Client, error) {
	return agenttask.NewClient(agenttask.Config{SecretKey: s.emu.SecretKey(), APIURL: s.emu.APIURL()})
}
