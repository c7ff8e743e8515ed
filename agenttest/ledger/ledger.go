package ledger

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/internal/clerkid"
)

// ledgerVersion is the "v" of a ledger's first line.
const ledgerVersion = 1

// ledgerExt ends the name of a ledger file. A file being set up has
// another name, so a sweep never sees it before its lock is held.
const ledgerExt = ".jsonl"

// The operations of a ledger line.
const (
	ledgerOpOpen         = "open"          // first line: {"op":"open","v":1,"pid":…,"at":…}
	ledgerOpCreating     = "creating"      // {"op":"creating","user":…,"at":…}, before a create request
	ledgerOpCreateFailed = "create_failed" // {"op":"create_failed","user":…}: one creating of the user has no task
	ledgerOpTask         = "task"          // {"op":"task","id":"agttsk_…","agent":"agt_…","user":…}
	ledgerOpSession      = "session"       // {"op":"session","id":"sess_…","task":"agttsk_…","user":…}
	ledgerOpClosed       = "closed"        // {"op":"closed","id":…}, or {"op":"closed","user":…} from a sweep
)

// ledgerEntry is one line of a ledger. It holds ids only: Clerk ids are
// letters, digits, '_' and '-', checked before writing, so no URL,
// ticket or token can reach a ledger.
type ledgerEntry struct {
	Op      string `json:"op"`
	ID      string `json:"id,omitempty"`
	Task    string `json:"task,omitempty"`
	Agent   string `json:"agent,omitempty"`
	User    string `json:"user,omitempty"`
	At      int64  `json:"at,omitempty"` // Unix milliseconds
	PID     int    `json:"pid,omitempty"`
	Version int    `json:"v,omitempty"`
}

// Ledger is a crash-safe, append-only record on disk of what one run
// created in one Clerk instance, so that a later run or `agenttest
// sweep` ([Sweep]) can revoke what a run that died left behind.
//
// A Ledger is one file, <dir>/<instance>/<pid>-<random>.jsonl, where
// <instance> names the instance without revealing its key (the first 16
// hex digits of SHA-256 of the API URL, a zero byte and the secret key).
// The run holds an exclusive lock (flock) on the file for as long as the
// Ledger is open, and the kernel drops it when the process dies however
// it dies: a file whose lock a sweep can take belongs to a dead run, and
// a live run's file is never swept. Each line is a JSON object written
// with one write and fsync'd before the method returns. Lines hold Clerk
// ids and times only, never a task URL, ticket or token:
//
//	{"op":"open","v":1,"pid":4242,"at":1767225600000}
//	{"op":"creating","user":"user_…","at":…}          before a create request
//	{"op":"task","id":"agttsk_…","agent":"agt_…","user":"user_…","at":…}
//	{"op":"session","id":"sess_…","task":"agttsk_…","user":"user_…","at":…}
//	{"op":"closed","id":"sess_…","at":…}               revoked or ended
//	{"op":"create_failed","user":"user_…","at":…}      a create that gave no task
//
// What is open: a task until a session of it is recorded (its ticket is
// single use, so a task creates at most one session) or it is closed; a
// session until it is closed; a "creating" until a task or a
// create_failed of the same user follows it. Write "creating" before
// every create request and the task right after the answer, before its
// URL reaches anyone: a session then always belongs to a recorded task,
// except in a run killed between the two.
//
// A Ledger is safe for concurrent use. The methods of a nil *Ledger do
// nothing and return nil, so a caller that could not open one can go on
// without.
type Ledger struct {
	path string
	now  func() time.Time

	mu       sync.Mutex
	f        *os.File // nil once closed
	tasks    map[string]bool
	sessions map[string]bool
	creating map[string]int // per user: creates with no task yet
	err      error          // the first failed write: the file may be torn
}

// Dir returns the directory under which ledgers are kept, one
// subdirectory per Clerk instance: AGENTTEST_LEDGER_DIR when set, else
// <user cache dir>/agenttest/ledgers (os.UserCacheDir: $XDG_CACHE_HOME or
// ~/.cache on Linux, ~/Library/Caches on macOS), outside any repository.
func Dir(env config.Env) (string, error) {
	if v, ok := env.Lookup(config.VarLedgerDir); ok && strings.TrimSpace(v) != "" {
		dir, err := filepath.Abs(strings.TrimSpace(v))
		if err != nil {
			return "", fmt.Errorf("ledger dir: %s: %w", env.Describe(config.VarLedgerDir), err)
		}
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("ledger dir: %w: set %s", err, config.VarLedgerDir)
	}
	return filepath.Join(cache, "agenttest", "ledgers"), nil
}

// Open creates this run's ledger for the client's Clerk instance under
// dir (see [Dir]), locks it and writes its first line. The caller owns
// it and must [Ledger.Close] it when the run ends.
func Open(dir string, c *agenttask.Client) (*Ledger, error) {
	return open(dir, c, time.Now)
}

// open is Open with the clock given.
func open(dir string, c *agenttask.Client, now func() time.Time) (*Ledger, error) {
	switch {
	case c == nil:
		return nil, errors.New("open ledger: the client is nil")
	case dir == "":
		return nil, errors.New("open ledger: the directory is empty: pass Dir's")
	}
	return openIn(filepath.Join(dir, c.Instance()), now)
}

// openIn creates the ledger in the instance directory idir.
func openIn(idir string, now func() time.Time) (*Ledger, error) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails
	name := strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(rnd[:])
	// Lock under a name a sweep does not look at, then rename: a sweep
	// cannot find the file unlocked and take it for a dead run's.
	tmp := filepath.Join(idir, "."+name+".tmp")
	var f *os.File
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(idir, 0o700); err != nil {
			return nil, fmt.Errorf("open ledger: %w", err)
		}
		var err error
		f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
		if err == nil {
			break
		}
		// Another run's Close may have removed the empty directory
		// between MkdirAll and OpenFile: make it again.
		if !errors.Is(err, os.ErrNotExist) || attempt == 2 {
			return nil, fmt.Errorf("open ledger: %w", err)
		}
	}
	fail := func(err error) (*Ledger, error) {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	if ok, err := tryLock(f); err != nil {
		return fail(err)
	} else if !ok {
		return fail(errors.New("a new file is locked by another process"))
	}
	l := &Ledger{
		path:     filepath.Join(idir, name+ledgerExt),
		now:      now,
		f:        f,
		tasks:    map[string]bool{},
		sessions: map[string]bool{},
		creating: map[string]int{},
	}
	if err := l.writeLocked(ledgerEntry{Op: ledgerOpOpen, Version: ledgerVersion, PID: os.Getpid()}); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, l.path); err != nil {
		return fail(err)
	}
	return l, nil
}

// Path returns the ledger's file.
func (l *Ledger) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// Creating records that a task is about to be created for the user
// (user_…; resolve an identifier first). Call it before the create
// request, so a run killed during the request still leaves a trace, and
// follow it with [Ledger.Task] or [Ledger.CreateFailed].
func (l *Ledger) Creating(userID string) error {
	if l == nil {
		return nil
	}
	if err := ledgerID("creating", "user", userID); err != nil {
		return err
	}
	return l.record(ledgerEntry{Op: ledgerOpCreating, User: userID}, func() { l.creating[userID]++ })
}

// CreateFailed records that a create announced by [Ledger.Creating] for
// the user returned no task. (A create whose answer was lost may still
// have made a pending task, but nobody holds its URL: it signs nobody in
// and Clerk expires it.)
func (l *Ledger) CreateFailed(userID string) error {
	if l == nil {
		return nil
	}
	if err := ledgerID("create failed", "user", userID); err != nil {
		return err
	}
	return l.record(ledgerEntry{Op: ledgerOpCreateFailed, User: userID}, func() { l.resolveCreating(userID) })
}

// Task records a task created for the user: its id and agent id, never
// its URL. Call it as soon as Create returns, before the URL reaches a
// browser.
func (l *Ledger) Task(task *agenttask.Task, userID string) error {
	if l == nil {
		return nil
	}
	if task == nil {
		return errors.New("ledger task: the task is nil")
	}
	if err := ledgerID("task", "task", task.ID); err != nil {
		return err
	}
	if err := ledgerID("task "+task.ID, "user", userID); err != nil {
		return err
	}
	if task.AgentID != "" {
		if err := ledgerID("task "+task.ID, "agent", task.AgentID); err != nil {
			return err
		}
	}
	e := ledgerEntry{Op: ledgerOpTask, ID: task.ID, Agent: task.AgentID, User: userID}
	return l.record(e, func() {
		l.tasks[task.ID] = true
		l.resolveCreating(userID)
	})
}

// Session records the session a task created. The task is then spent
// (a ticket is single use) and the session is what remains open. An
// empty taskID records a session made without a task (a sign-in through
// clerk-js in the page).
func (l *Ledger) Session(sessionID, taskID, userID string) error {
	if l == nil {
		return nil
	}
	if err := ledgerID("session", "session", sessionID); err != nil {
		return err
	}
	if taskID != "" {
		if err := ledgerID("session "+sessionID, "task", taskID); err != nil {
			return err
		}
	}
	if err := ledgerID("session "+sessionID, "user", userID); err != nil {
		return err
	}
	e := ledgerEntry{Op: ledgerOpSession, ID: sessionID, Task: taskID, User: userID}
	return l.record(e, func() {
		l.sessions[sessionID] = true
		delete(l.tasks, taskID)
	})
}

// Closed records that a task or session was revoked or has ended: the
// id, and only it, is no longer open. Closing an id twice, or one the
// ledger does not hold, is harmless.
func (l *Ledger) Closed(id string) error {
	if l == nil {
		return nil
	}
	if err := ledgerID("closed", "task or session", id); err != nil {
		return err
	}
	return l.record(ledgerEntry{Op: ledgerOpClosed, ID: id}, func() {
		delete(l.tasks, id)
		delete(l.sessions, id)
	})
}

// Outstanding returns how many tasks, sessions and creates with no
// outcome the ledger holds open.
func (l *Ledger) Outstanding() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.outstandingLocked()
}

func (l *Ledger) outstandingLocked() int {
	n := len(l.tasks) + len(l.sessions)
	for _, c := range l.creating {
		n += c
	}
	return n
}

// Close ends the run's ledger: it removes the file when nothing is open
// and no write failed, else keeps it for a sweep, and releases the lock.
// It is idempotent; later records fail.
func (l *Ledger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	var err error
	if l.outstandingLocked() == 0 && l.err == nil {
		// Remove while the lock is held: a sweep that opened the file
		// meanwhile finds it unlinked once it gets the lock, and skips it.
		if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("close ledger: %w", rerr)
		}
		// And the instance's directory, when this was its last ledger:
		// an emulator's instances would otherwise leave one empty
		// directory per run. It fails, as meant, when not empty.
		_ = os.Remove(filepath.Dir(l.path))
	}
	if cerr := l.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close ledger: %w", cerr)
	}
	l.f = nil
	return err
}

// resolveCreating closes one create of the user; l.mu is held.
func (l *Ledger) resolveCreating(userID string) {
	if l.creating[userID] > 1 {
		l.creating[userID]--
	} else {
		delete(l.creating, userID)
	}
}

// record writes e and, once it is on disk, applies its effect.
func (l *Ledger) record(e ledgerEntry, apply func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("ledger %s: the ledger is closed", e.Op)
	}
	if err := l.writeLocked(e); err != nil {
		return err
	}
	apply()
	return nil
}

// writeLocked appends e as one line and syncs it; l.mu is held (or l is
// not shared yet).
func (l *Ledger) writeLocked(e ledgerEntry) error {
	if e.At == 0 {
		e.At = l.now().UnixMilli()
	}
	if err := appendEntry(l.f, e); err != nil {
		if l.err == nil {
			l.err = err
		}
		return fmt.Errorf("ledger %s: %w", e.Op, err)
	}
	return nil
}

// appendEntry writes e as one JSON line with one write, then fsyncs.
func appendEntry(f *os.File, e ledgerEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return err
	}
	return f.Sync()
}

// ledgerID checks that id is a Clerk id (letters, digits, '_' and '-'),
// so nothing else — a URL, a ticket, a token — can be written; the error
// does not repeat it.
func ledgerID(op, what, id string) error {
	if _, err := clerkid.Op("ledger "+op, what, id); err != nil {
		return err
	}
	return nil
}

// ledgerState is what a ledger's lines say is open.
type ledgerState struct {
	tasks     map[string]*ledgerTask // open tasks
	taskOrd   []string
	sessions  map[string]*ledgerSession // open sessions
	sessOrd   []string
	creating  map[string]lostCreates // per user: creates with no outcome
	allTasks  map[string]bool        // every task recorded
	agents    map[string]bool        // every agent recorded
	malformed int                    // lines that are not entries (a torn write)
	version   int                    // the open line's format; 0 when it has none
}

// unreadable says why a ledger cannot be trusted to say what its run
// left open, or "": written by a newer agenttest, or not a ledger (no
// open line, or more unreadable lines than the one a kill can tear).
func (st *ledgerState) unreadable() string {
	switch {
	case st.version > ledgerVersion:
		return fmt.Sprintf("written by a newer agenttest (ledger format v%d; this one reads v%d): kept for that version's sweep", st.version, ledgerVersion)
	case st.version == 0:
		return "not a ledger (its first line is no ledger's): kept, since what it recorded may still be open; check it, then delete it"
	case st.malformed > 1:
		return fmt.Sprintf("%d lines do not parse (a kill tears one at most): kept, since what they recorded may still be open; check it, then delete it", st.malformed)
	}
	return ""
}

// lostCreates are a user's creates with no outcome in a ledger: how many,
// and when the earliest began (Unix ms, 0 when not recorded): a session
// made before it is no lost task's.
type lostCreates struct {
	n     int
	since int64
}

type ledgerTask struct{ user, agent string }

type ledgerSession struct{ task, user string }

// parseLedger replays a ledger's lines. Lines that do not parse (a
// write cut short by a kill) are counted and skipped.
func parseLedger(data []byte) *ledgerState {
	st := &ledgerState{
		tasks:    map[string]*ledgerTask{},
		sessions: map[string]*ledgerSession{},
		creating: map[string]lostCreates{},
		allTasks: map[string]bool{},
		agents:   map[string]bool{},
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e ledgerEntry
		if json.Unmarshal(line, &e) != nil || !ledgerEntryValid(e) {
			st.malformed++
			continue
		}
		st.apply(e)
	}
	return st
}

// apply changes the state by one valid line.
func (st *ledgerState) apply(e ledgerEntry) {
	switch e.Op {
	case ledgerOpOpen:
		if st.version == 0 {
			st.version = max(e.Version, 1)
		}
	case ledgerOpCreating:
		c := st.creating[e.User]
		if c.n == 0 && e.At > 0 {
			c.since = e.At
		}
		c.n++
		st.creating[e.User] = c
	case ledgerOpCreateFailed:
		st.resolveCreate(e.User)
	case ledgerOpTask:
		if st.tasks[e.ID] == nil {
			st.taskOrd = append(st.taskOrd, e.ID)
		}
		st.tasks[e.ID] = &ledgerTask{user: e.User, agent: e.Agent}
		st.allTasks[e.ID] = true
		if e.Agent != "" {
			st.agents[e.Agent] = true
		}
		st.resolveCreate(e.User)
	case ledgerOpSession:
		if st.sessions[e.ID] == nil {
			st.sessOrd = append(st.sessOrd, e.ID)
		}
		st.sessions[e.ID] = &ledgerSession{task: e.Task, user: e.User}
		delete(st.tasks, e.Task)
	case ledgerOpClosed:
		if e.ID != "" {
			delete(st.tasks, e.ID)
			delete(st.sessions, e.ID)
		} else {
			delete(st.creating, e.User)
		}
	}
}

// resolveCreate settles one of u's lost creates: a task or a
// create_failed followed it.
func (st *ledgerState) resolveCreate(u string) {
	if c := st.creating[u]; c.n > 1 {
		c.n--
		st.creating[u] = c
	} else {
		delete(st.creating, u)
	}
}

// ledgerEntryValid checks an entry read back has the ids its op needs,
// each shaped like a Clerk id: a sweep sends nothing else to Clerk.
func ledgerEntryValid(e ledgerEntry) bool {
	ok := func(ids ...string) bool {
		for _, id := range ids {
			if ledgerID("read", "", id) != nil {
				return false
			}
		}
		return true
	}
	switch e.Op {
	case ledgerOpOpen:
		return true
	case ledgerOpCreating, ledgerOpCreateFailed:
		return ok(e.User)
	case ledgerOpTask:
		return ok(e.ID, e.User) && (e.Agent == "" || ok(e.Agent))
	case ledgerOpSession:
		return ok(e.ID, e.User) && (e.Task == "" || ok(e.Task))
	case ledgerOpClosed:
		return (e.ID != "" && ok(e.ID)) || (e.ID == "" && ok(e.User))
	}
	return false
}

func (st *ledgerState) openTasks() []string {
	return slices.DeleteFunc(slices.Clone(st.taskOrd), func(id string) bool { return st.tasks[id] == nil })
}

func (st *ledgerState) openSessions() []string {
	return slices.DeleteFunc(slices.Clone(st.sessOrd), func(id string) bool { return st.sessions[id] == nil })
}

// open counts what is still open.
func (st *ledgerState) open() int {
	n := len(st.tasks) + len(st.sessions)
	for _, c := range st.creating {
		n += c.n
	}
	return n
}
