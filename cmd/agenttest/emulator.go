package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/agenttest/agenttest/internal/redact"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

func runEmulator(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(c, stderr, `Once both its hosts listen it prints an env file with every variable an app
and a test need, in Clerk's own forms:
  CLERK_SECRET_KEY=sk_test_…
  CLERK_PUBLISHABLE_KEY=pk_test_…   (names the Frontend API host)
  CLERK_API_URL=http://127.0.0.1:PORT   (Backend API, no /v1: JS SDKs add it)
  CLERK_FRONTEND_API_URL=http://127.0.0.1:PORT   (issuer of session tokens)
  CLERK_JWKS_URL=http://127.0.0.1:PORT/.well-known/jwks.json
  CLERK_PROXY_URL=http://127.0.0.1:PORT   (where JS SDKs reach the Frontend API)
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_test_…   (the same, for @clerk/nextjs)
  NEXT_PUBLIC_CLERK_PROXY_URL=http://127.0.0.1:PORT   (the same, for @clerk/nextjs)
  NEXT_PUBLIC_CLERK_JS_URL=http://127.0.0.1:PORT/npm/@clerk/clerk-js@6/dist/clerk.browser.js
  NEXT_PUBLIC_CLERK_UI_URL=http://127.0.0.1:PORT/npm/@clerk/ui@1/dist/ui.browser.js
  CLERK_TELEMETRY_DISABLED=1   (no telemetry off loopback)
  NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED=1   (the same, for @clerk/nextjs)
The publishable key names a development host (<word>-<word>-<NN>.clerk.accounts.dev)
so clerk-js runs its development flow; it reaches the emulator at the proxy URL.
With --node-modules it serves the clerk-js and @clerk/ui bundles from there.
It and agenttest demo print a secret key on purpose, the key of the
throwaway instance just started (or --secret-key); no other command does. It serves until SIGINT or SIGTERM.

On stderr it says which addresses it really bound, and the seeded users' ids
(for AGENTTEST_USER_ID) and their test password, for signing in through
clerk-js (<SignIn/>). --listen :0 (or 0.0.0.0,
or any address that is not loopback) binds beyond this machine: it warns,
since anyone who reaches that port and holds the key or a task URL can sign
the seeded users in. The URLs above then still name 127.0.0.1, where local
clients reach it.`)
	listen := fs.String("listen", "127.0.0.1:0", "Backend API listen `address`")
	frontend := fs.String("frontend-listen", "", "Frontend API listen `address` (default: the Backend API's host, a free port)")
	key := fs.String("secret-key", "", "the instance's secret `key`, sk_test_… or sk_live_…; visible to local users in the process list (default: a random sk_test_ key)")
	usersFile := fs.String("users", "", "JSON array of Clerk users to seed, or \"none\" (default: the seed users built into agenttest)")
	nodeModules := fs.String("node-modules", "", "a node_modules `directory` holding @clerk/clerk-js and @clerk/ui, whose bundles the Frontend API serves (default: none)")
	if err := parseFlags(fs, args, ""); err != nil {
		return err
	}
	if err := checkInstanceFlags(fs, *key, listenFlag{"--listen", *listen}, listenFlag{"--frontend-listen", *frontend}); err != nil {
		return err
	}
	users, err := loadUsers(*usersFile)
	if err != nil {
		return err
	}
	if err := checkNodeModules(*nodeModules); err != nil {
		return usagef(fs, "%v", err)
	}

	emu, err := clerkemu.Start(clerkemu.Options{Addr: *listen, FrontendAddr: *frontend, SecretKey: *key, Users: users, NodeModules: *nodeModules})
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	defer emu.Close()
	for _, v := range emu.Env() {
		fmt.Fprintf(stdout, "%s=%s\n", v.Name, v.Value)
	}
	backend := boundAddr(*listen, emu.BackendURL())
	front := boundAddr(*frontend, emu.FrontendURL())
	fmt.Fprintf(stderr, "agenttest emulator: Backend API bound to %s, Frontend API to %s\n", backend, front)
	if seeded := emu.Users(); len(seeded) > 0 {
		names := make([]string, len(seeded))
		for i, u := range seeded {
			names[i] = u.ID
			if len(u.EmailAddresses) > 0 {
				names[i] += " (" + u.EmailAddresses[0].EmailAddress + ")"
			}
		}
		fmt.Fprintf(stderr, "agenttest emulator: seeded users, for AGENTTEST_USER_ID: %s\n", strings.Join(names, ", "))
		fmt.Fprintf(stderr, "agenttest emulator: test password of the users with a password, for signing in through clerk-js: %s\n", clerkemu.TestPassword)
	}
	for _, b := range []struct{ api, addr string }{{"Backend API", backend}, {"Frontend API", front}} {
		if !loopback(ctx, b.addr) {
			fmt.Fprintf(stderr, "agenttest emulator: warning: the %s is bound to %s, not loopback: anyone who can reach it and holds the secret key or a task URL can sign this instance's users in; use --listen 127.0.0.1:0 (and --frontend-listen) to keep it on this machine\n", b.api, b.addr)
		}
	}

	<-ctx.Done()
	if err := emu.Close(); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	return nil
}

// checkNodeModules checks, before the emulator starts, that dir (when
// given) holds the npm packages whose bundles it serves.
func checkNodeModules(dir string) error {
	if dir == "" {
		return nil
	}
	if strings.ContainsFunc(dir, unicode.IsControl) || len(dir) > 4096 {
		return fmt.Errorf("--node-modules %s: not a directory name", redact.Quote(dir))
	}
	if _, err := os.Stat(filepath.Join(dir, "@clerk", "clerk-js", "package.json")); err != nil {
		return fmt.Errorf("--node-modules %s has no @clerk/clerk-js: run npm install @clerk/clerk-js@6 @clerk/ui@1 beside it (make setup installs them in the repository's fixtures/node)", redact.Quote(dir))
	}
	return nil
}

// loadUsers reads the seed users: "" means the seed users built into
// the emulator (so the command works from any directory), "none" none.
func loadUsers(path string) ([]clerkemu.User, error) {
	switch path {
	case "":
		return clerkemu.SeedUsers(), nil
	case "none":
		return []clerkemu.User{}, nil
	}
	if strings.ContainsFunc(path, unicode.IsControl) || len(path) > 4096 {
		return nil, fmt.Errorf("users file %s: not a file name: pass --users FILE", redact.Quote(path))
	}
	users, err := clerkemu.LoadUsers(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("users file %s not found (it is relative to the working directory): pass --users FILE, or leave --users out for the built-in seed users", redact.Quote(path))
	}
	if err != nil {
		return nil, fmt.Errorf("load users: %w: fix the file or pass --users FILE", err)
	}
	return users, nil
}

// boundAddr is the address a listener asked for requested really bound,
// given the URL the emulator advertises for it (which carries the port,
// and the host when requested names none of its own): an empty host binds
// every interface, "[::]" (IPv4 too), as does an unspecified IP.
func boundAddr(requested, advertised string) string {
	u, err := url.Parse(advertised)
	if err != nil || u.Port() == "" {
		return advertised
	}
	if requested == "" {
		return u.Host // the default: the advertised host, a free port
	}
	host, _, err := net.SplitHostPort(requested)
	switch {
	case err != nil:
		return u.Host
	case host == "":
		host = "::"
	}
	return net.JoinHostPort(host, u.Port())
}

// loopback reports whether addr's host reaches this machine only: a
// loopback IP, "localhost", or a name all of whose addresses are loopback.
// A name that does not resolve (within a second) counts as not loopback.
func loopback(ctx context.Context, addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// listenFlag is a listen-address flag's name and value.
type listenFlag struct{ name, value string }

// checkInstanceFlags checks, before anything starts, the listen
// addresses and the secret key given to emulator or demo.
func checkInstanceFlags(fs *flag.FlagSet, key string, addrs ...listenFlag) error {
	for _, f := range addrs {
		if strings.ContainsFunc(f.value, unicode.IsControl) || len(f.value) > 256 {
			return usagef(fs, "%s %s is not a host:port such as 127.0.0.1:0", f.name, redact.Quote(f.value))
		}
	}
	if key != "" {
		if err := clerkemu.CheckSecretKey(key); err != nil {
			return usagef(fs, "--secret-key: %v: pass sk_test_ (or sk_live_) followed by 16 to 128 letters, digits and _, or leave it out for a random key", err)
		}
	}
	return nil
}
