package ledger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/internal/clerktest"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// ledgerTestVisit opens a task URL the way a browser would, once, with
// a cookie jar and without following the redirect to the app, and
// returns the redirect's Location (which carries the handshake).
func ledgerTestVisit(t testing.TB, taskURL string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := clerktest.HTTP(t)
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(taskURL)
	if err != nil {
		t.Fatalf("visit the task URL: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("visit the task URL: status %d, want 307", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// ledgerTestLines reads a ledger and fails unless every line is one
// JSON object.
func ledgerTestLines(t testing.TB, path string) []ledgerEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []ledgerEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var e ledgerEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("ledger line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// ledgerTestSignIn signs Ada in through a task that l records as a run
// does: the create announced, the task, then its URL visited. It returns
// the task and where the visit was redirected.
func ledgerTestSignIn(t *testing.T, ctx context.Context, c *agenttask.Client, l *Ledger) (*agenttask.Task, string) {
	t.Helper()
	if err := l.Creating(clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	task, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Task(task, clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	return task, ledgerTestVisit(t, task.URL())
}

// ledgerTestOpen opens a ledger for emu's instance under dir, closed by
// a cleanup.
func ledgerTestOpen(t testing.TB, dir string, emu *clerkemu.Emulator) *Ledger {
	t.Helper()
	l, err := Open(dir, clerktest.Client(t, emu))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// A ledger holds ids and nothing else: not the task URL, its ticket, the
// handshake the visit returned, nor the secret key; and a URL passed as
// an id is refused without being written or repeated.
func TestLedgerHoldsNoSecret(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	l := ledgerTestOpen(t, t.TempDir(), emu)

	task, location := ledgerTestSignIn(t, ctx, c, l)
	sessions, err := c.TaskSessions(ctx, clerktest.AdaID, task.ID)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("TaskSessions: %d sessions, %v", len(sessions), err)
	}
	if err := l.Session(sessions[0].ID, task.ID, clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(task.URL())
	if err != nil {
		t.Fatal(err)
	}
	ticket := u.Query().Get("ticket")
	before, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]func() error{
		"Closed(url)":    func() error { return l.Closed(task.URL()) },
		"Session(url)":   func() error { return l.Session(sessions[0].ID, task.URL(), clerktest.AdaID) },
		"Creating(url)":  func() error { return l.Creating(location) },
		"Task(url id)":   func() error { return l.Task(&agenttask.Task{ID: task.URL()}, clerktest.AdaID) },
		"Creating(\"\")": func() error { return l.Creating("") },
	} {
		err := bad()
		if err == nil {
			t.Errorf("%s was written", name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, ticket) || strings.Contains(msg, location) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error repeats the value or spans lines: %q", name, err)
		}
	}
	after, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("refused ids changed the ledger:\n%s\n---\n%s", before, after)
	}

	loc, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"task URL":    task.URL(),
		"ticket":      ticket,
		"handshake":   loc.Query().Get("__clerk_handshake"),
		"db jwt":      loc.Query().Get("__clerk_db_jwt"),
		"secret key":  emu.SecretKey(),
		"a JWT":       "eyJ",
		"any URL":     "://",
		"FAPI host":   strings.TrimPrefix(emu.FrontendURL(), "http://"),
		"query param": "?",
	}
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("%s is empty: the test would prove nothing", name)
		}
		if bytes.Contains(after, []byte(s)) {
			t.Errorf("the ledger holds the %s:\n%s", name, after)
		}
	}
	lines := ledgerTestLines(t, l.Path())
	var ops []string
	for _, e := range lines {
		ops = append(ops, e.Op)
	}
	if got := strings.Join(ops, ","); got != "open,creating,task,session" {
		t.Errorf("ops %s", got)
	}
	if e := lines[2]; e.ID != task.ID || e.User != clerktest.AdaID || e.Agent != task.AgentID || e.Agent == "" || e.At == 0 {
		t.Errorf("task line %+v", e)
	}
	if e := lines[3]; e.ID != sessions[0].ID || e.Task != task.ID || e.User != clerktest.AdaID {
		t.Errorf("session line %+v", e)
	}
}

// Close removes a ledger in which everything is closed, keeps one that
// still holds something open, releases the lock either way, and is
// idempotent; records after Close fail.
func TestLedgerCloseRemovesOnlyAFullyClosedFile(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	dir := t.TempDir()

	done := ledgerTestOpen(t, dir, emu)
	steps := []func() error{
		func() error { return done.Creating("user_1") },
		func() error { return done.Task(&agenttask.Task{ID: "agttsk_1", AgentID: "agt_1"}, "user_1") },
		func() error { return done.Session("sess_1", "agttsk_1", "user_1") }, // spends the task
		func() error { return done.Creating("user_2") },
		func() error { return done.CreateFailed("user_2") },
		func() error { return done.Creating("user_3") },
		func() error { return done.Task(&agenttask.Task{ID: "agttsk_3"}, "user_3") },
		func() error { return done.Closed("agttsk_3") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if n := done.Outstanding(); n != 1 {
		t.Fatalf("Outstanding = %d, want 1 (the session)", n)
	}
	if err := done.Closed("sess_1"); err != nil {
		t.Fatal(err)
	}
	if n := done.Outstanding(); n != 0 {
		t.Fatalf("Outstanding = %d, want 0", n)
	}
	path := done.Path()
	if st := parseLedger(mustRead(t, path)); st.open() != 0 {
		t.Fatalf("the file says %d open", st.open())
	}
	for i := range 2 {
		if err := done.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a fully closed ledger was kept: %v", err)
	}
	if err := done.Creating("user_1"); err == nil {
		t.Errorf("Creating after Close succeeded")
	}

	kept := ledgerTestOpen(t, dir, emu)
	if err := kept.Creating("user_1"); err != nil {
		t.Fatal(err)
	}
	if err := kept.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(kept.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("a ledger with an open create was not kept: %v", err)
	}
	defer f.Close()
	if ok, err := tryLock(f); !ok || err != nil {
		t.Errorf("the kept ledger's lock was not released: %t %v", ok, err)
	}
	if st := parseLedger(mustRead(t, kept.Path())); st.open() != 1 || st.creating["user_1"].n != 1 {
		t.Errorf("the kept file says %d open: %+v", st.open(), st.creating)
	}

	var nilLedger *Ledger
	if nilLedger.Creating("user_1") != nil || nilLedger.Closed("x") != nil || nilLedger.Close() != nil || nilLedger.Outstanding() != 0 {
		t.Errorf("a nil *Ledger does not do nothing")
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Goroutines recording at once (parallel tests) leave whole lines, each
// of them, and the file replays to what the ledger holds in memory.
func TestLedgerConcurrentAppends(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	l := ledgerTestOpen(t, t.TempDir(), emu)
	const workers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Go(func() {
			user := fmt.Sprintf("user_%d", w)
			for i := range each {
				task := &agenttask.Task{ID: fmt.Sprintf("agttsk_%d_%d", w, i), AgentID: "agt_concurrent"}
				errs <- l.Creating(user)
				errs <- l.Task(task, user)
				if i%2 == 0 {
					errs <- l.Closed(task.ID) // every other task stays open
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	lines := ledgerTestLines(t, l.Path())
	if want := 1 + workers*each*2 + workers*each/2; len(lines) != want {
		t.Errorf("%d lines, want %d", len(lines), want)
	}
	st := parseLedger(mustRead(t, l.Path()))
	if st.malformed != 0 || st.open() != workers*each/2 || l.Outstanding() != workers*each/2 || len(st.creating) != 0 {
		t.Errorf("file: %d malformed, %d open, %d creating; memory: %d open; want 0, %d, 0, %d",
			st.malformed, st.open(), len(st.creating), l.Outstanding(), workers*each/2, workers*each/2)
	}
}

// The instance directory names the instance without its key: the same
// key and URL give the same directory, any difference another; the
// directory comes from AGENTTEST_LEDGER_DIR, else the user cache.
func TestLedgerDirectories(t *testing.T) {
	t.Parallel()
	key, other := "sk_test_"+strings.Repeat("a", 40), "sk_test_"+strings.Repeat("b", 40)
	dir := t.TempDir()
	instanceDir := func(key, apiURL string) string {
		c, err := agenttask.NewClient(agenttask.Config{SecretKey: key, APIURL: apiURL})
		if err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		return filepath.Dir(l.Path())
	}
	a1, a2 := instanceDir(key, "http://127.0.0.1:9/"), instanceDir(key, "http://127.0.0.1:9/v1")
	b, c := instanceDir(other, "http://127.0.0.1:9/v1"), instanceDir(key, "http://127.0.0.1:8/v1")
	if a1 != a2 || a1 == b || a1 == c || b == c {
		t.Errorf("instance dirs %s %s %s %s", a1, a2, b, c)
	}
	if name := filepath.Base(a1); len(name) != 16 || strings.Contains(key, name) || filepath.Dir(a1) != dir {
		t.Errorf("instance dir %s", a1)
	}
	if _, err := Open(dir, nil); err == nil {
		t.Errorf("Open accepted a nil client")
	}

	got, err := Dir(config.EnvFromMap(map[string]string{config.VarLedgerDir: " " + dir + " "}))
	if err != nil || got != dir {
		t.Errorf("Dir with %s = %q, %v; want %q", config.VarLedgerDir, got, err, dir)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skip("no user cache dir here:", err)
	}
	got, err = Dir(config.EnvFromMap(nil))
	if want := filepath.Join(cache, "agenttest", "ledgers"); err != nil || got != want {
		t.Errorf("Dir() = %q, %v; want %q", got, err, want)
	}
}

// A second Open in the same process is another run's file: it
// does not share the first one's lock or entries.
func TestLedgerFilesAreSeparateAndLocked(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	dir := t.TempDir()
	a, b := ledgerTestOpen(t, dir, emu), ledgerTestOpen(t, dir, emu)
	if a.Path() == b.Path() || filepath.Dir(a.Path()) != filepath.Dir(b.Path()) {
		t.Fatalf("paths %s and %s", a.Path(), b.Path())
	}
	if !strings.HasPrefix(filepath.Base(a.Path()), fmt.Sprint(os.Getpid())+"-") || !strings.HasSuffix(a.Path(), ledgerExt) {
		t.Errorf("name %s", filepath.Base(a.Path()))
	}
	f, err := os.OpenFile(a.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := tryLock(f); ok || err != nil {
		t.Errorf("an open ledger's lock could be taken: %t %v", ok, err)
	}
	if fi, err := os.Stat(filepath.Dir(a.Path())); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("instance dir mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
}

// The instance's directory goes with its last ledger, so runs against
// short-lived instances (an emulator per run) leave no empty folders.
func TestLedgerCloseRemovesTheInstanceDirectoryWithItsLastLedger(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	dir := t.TempDir()
	a := ledgerTestOpen(t, dir, emu)
	b := ledgerTestOpen(t, dir, emu)
	idir := filepath.Dir(a.Path())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(idir); err != nil {
		t.Fatalf("another ledger is open: the directory stays: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(idir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the last ledger closed: %s should be gone, stat: %v", idir, err)
	}
	// A new ledger makes the directory again.
	c := ledgerTestOpen(t, dir, emu)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
