package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/clerk/clerk-sdk-go/v2"
)

// SweepOptions configures [Sweep]. The zero value revokes.
type SweepOptions struct {
	// DryRun finds what a sweep would revoke without revoking anything
	// or changing any file: it only reads ledgers and lists sessions.
	// Open tasks are reported as to be revoked, since only a revoke tells
	// whether a task is still pending.
	DryRun bool
	// AllAgentSessions widens what a sweep revokes for a create a dead
	// run announced but whose task it never recorded (a run killed
	// during the create request): every active session of that user
	// whose actor is an agent, instead of only those of this project's
	// agents (the agent ids recorded in the instance's ledgers, and the
	// actor.sub of sessions their tasks created). Without it, agent
	// sessions of unknown agents are left alone and the ledger is kept,
	// with an error that names them.
	AllAgentSessions bool
}

// SweepItem is one task or session a sweep revoked (or, in a dry run,
// would revoke).
type SweepItem struct {
	// Kind is "task" or "session".
	Kind string
	// ID is the task's (agttsk_…) or session's (sess_…) id.
	ID string
	// UserID is the user it signs in.
	UserID string
	// TaskID is, for a session, the Agent Task that created it.
	TaskID string
	// Ledger is the ledger file it was found through.
	Ledger string
}

// String describes the item on one line: "session sess_… (user user_…,
// task agttsk_…)". An item of [SweepReport.UnknownTasks] (a task with no
// ID) reads "a task may be pending at Clerk with an unknown id (user
// user_…): it cannot be used; nothing to revoke".
func (it SweepItem) String() string {
	if it.Kind == "task" && it.ID == "" {
		return "a task may be pending at Clerk with an unknown id (user " + it.UserID + ", a run killed while creating it): it cannot be used; nothing to revoke"
	}
	s := it.Kind + " " + it.ID + " (user " + it.UserID
	if it.TaskID != "" {
		s += ", task " + it.TaskID
	}
	return s + ")"
}

// SweepReport tells what a [Sweep] found and did.
type SweepReport struct {
	// DryRun is SweepOptions.DryRun: Revoked and the counts are what
	// would have been revoked.
	DryRun bool
	// Files is how many ledgers of dead runs were swept.
	Files int
	// Live is how many ledgers belong to runs still alive (their lock is
	// held): left alone.
	Live int
	// Removed is how many swept ledgers were deleted, everything in them
	// being closed.
	Removed int
	// Kept lists the swept ledgers kept because something in them is
	// still open; Errors says why.
	Kept []string
	// TasksRevoked and SessionsRevoked count the revocations (a task
	// already used or expired, or a session already ended, is closed
	// without counting).
	TasksRevoked, SessionsRevoked int
	// Revoked lists every revocation, in order.
	Revoked []SweepItem
	// UnknownTasks lists, once per create a dead run announced and was
	// killed before learning its outcome, a "task" item with no ID (its
	// String says so): Clerk may hold a task pending for that user whose
	// id nobody learnt. Clerk has no endpoint that lists tasks, so no
	// sweep can revoke it; nor can it sign anyone in, since its URL
	// reached no one, and it expires on its own. The sweep closes the
	// entry once the user's agent sessions are dealt with.
	UnknownTasks []SweepItem
	// Errors counts the failures; Sweep's error joins them.
	Errors int
}

// createClockSkew is how far this machine's clock (a ledger's times)
// and Clerk's (a session's created_at) may differ, as the sweep allows.
const createClockSkew = time.Minute

// Sweep revokes what dead runs left in client's Clerk instance, as their
// ledgers under dir ([Dir]; see [Ledger]) record it. A ledger
// whose lock is held belongs to a live run and is left alone; for each
// other one, Sweep:
//
//   - revokes every open task (one already used, revoked or expired is
//     closed once the session it created, found by actor.task_id among
//     the user's active sessions, is revoked);
//   - revokes every open recorded session that is still active;
//   - for a create announced with no task recorded after it, revokes the
//     user's active sessions whose actor is one of this project's agents
//     (see [SweepOptions.AllAgentSessions]), except sessions of tasks a
//     live run recorded;
//   - appends a "closed" line for each thing done, and deletes the file
//     once nothing in it is open, or keeps it and reports why.
//
// Several sweeps and runs may go on at once: each file is swept by the
// one process that holds its lock. The error joins every failure, each
// naming its ledger file, on one line; the report is complete either way.
func Sweep(ctx context.Context, client *agenttask.Client, dir string, opts SweepOptions) (SweepReport, error) {
	rep := SweepReport{DryRun: opts.DryRun}
	if client == nil {
		return rep, errors.New("sweep: the client is nil")
	}
	if dir == "" {
		return rep, errors.New("sweep: the ledger directory is empty: pass Dir's")
	}
	idir := filepath.Join(dir, client.Instance())
	entries, err := os.ReadDir(idir)
	if errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	s := &sweeper{
		client: client, opts: opts, rep: &rep, dir: idir, now: time.Now,
		liveTasks: map[string]bool{}, allTasks: map[string]bool{}, agents: map[string]bool{}, dead: map[string]bool{},
	}
	dead := s.scan(entries)
	defer func() {
		for _, f := range dead {
			f.file.Close()
		}
	}()
	for _, f := range dead {
		if err := ctx.Err(); err != nil {
			s.fail(filepath.Base(f.path), err)
			rep.Kept = append(rep.Kept, f.path)
			continue
		}
		s.sweep(ctx, f)
	}
	if len(s.errs) == 0 {
		return rep, nil
	}
	return rep, sweepErrors(s.errs)
}

// scan opens the instance directory's ledgers and returns those of dead
// runs, locked: it learns the tasks and agents of every ledger, leaves
// live runs' alone, and removes what a run killed inside Open left.
func (s *sweeper) scan(entries []os.DirEntry) (dead []*sweepFile) {
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		stale := strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp")
		if !stale && (strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ledgerExt)) {
			continue
		}
		f, live, err := openSweepFile(filepath.Join(s.dir, name))
		switch {
		case err != nil:
			s.fail(name, err)
		case f == nil:
			// gone, or removed by its run as we opened it
		case stale:
			// A run killed inside Open: nothing but the first line.
			if !live && !s.opts.DryRun {
				os.Remove(f.path)
			}
			f.file.Close()
		case live:
			s.rep.Live++
			for id := range f.state.allTasks {
				s.liveTasks[id] = true
			}
			s.learn(f.state)
			f.file.Close()
		default:
			dead = append(dead, f)
			s.dead[f.path] = true
			s.learn(f.state)
		}
	}
	return dead
}

// sweepErrors are a sweep's failures: one line, "; " between them, each
// matchable with errors.Is and errors.As.
type sweepErrors []error

func (e sweepErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e sweepErrors) Unwrap() []error { return e }

// sweeper holds what one Sweep learned across ledgers.
type sweeper struct {
	client    *agenttask.Client
	opts      SweepOptions
	rep       *SweepReport
	errs      []error
	dir       string // the instance's ledgers
	now       func() time.Time
	dead      map[string]bool // ledgers whose lock this sweep holds
	liveTasks map[string]bool // tasks recorded by live runs: never touched
	allTasks  map[string]bool // every task recorded in any ledger
	agents    map[string]bool // this project's agents, as ledgers know them
}

// learn adds what a ledger knows about this project's tasks and agents.
func (s *sweeper) learn(st *ledgerState) {
	for id := range st.allTasks {
		s.allTasks[id] = true
	}
	for a := range st.agents {
		s.agents[a] = true
	}
}

// fail records a failure about the ledger named name.
func (s *sweeper) fail(name string, err error) {
	s.rep.Errors++
	s.errs = append(s.errs, fmt.Errorf("sweep %s: %w", name, err))
}

// sweep sweeps one dead run's ledger, whose lock is held: its tasks
// first, then the sessions it plans to revoke, then the record of what
// is done.
func (s *sweeper) sweep(ctx context.Context, f *sweepFile) {
	s.rep.Files++
	if f.state.version > ledgerVersion {
		// Its entries may mean what this version cannot tell: untouched.
		s.fail(filepath.Base(f.path), errors.New(f.state.unreadable()))
		s.rep.Kept = append(s.rep.Kept, f.path)
		return
	}
	errsBefore := s.rep.Errors
	run := &fileSweep{sweeper: s, f: f, name: filepath.Base(f.path), st: f.state}
	run.revokeTasks(ctx)
	run.plan(ctx)
	failed := run.act(ctx)
	run.record(failed, errsBefore)
}

// fileSweep is the sweep of one dead run's ledger: what it decided to
// revoke, and what is done with.
type fileSweep struct {
	*sweeper
	f    *sweepFile
	name string
	st   *ledgerState

	need        map[string]bool // users whose active sessions are listed
	spent       []string        // tasks that were not pending (or, dry, unknown)
	wants       []sessionWant   // sessions to revoke, each once
	wanted      map[string]bool // the ids in wants
	spentDone   map[string]bool // spent tasks whose sessions are in wants
	usersDone   []string        // users whose lost creates' sessions are in wants
	closedIDs   []string        // tasks and sessions done with
	closedUsers []string        // users whose lost creates are done with
}

// sessionWant is a session the sweep revokes, and the task it came of.
type sessionWant struct {
	sess *clerk.Session
	task string
}

// revokeTasks revokes the ledger's open tasks first: once revoked, no
// session can come of them. A task that was no longer pending is spent:
// its session, if any, is found among its user's.
func (r *fileSweep) revokeTasks(ctx context.Context) {
	r.need = map[string]bool{}
	for _, id := range r.st.openTasks() {
		t := r.st.tasks[id]
		item := SweepItem{Kind: "task", ID: id, UserID: t.user, Ledger: r.f.path}
		if r.opts.DryRun {
			r.revoked(item)
			r.spent = append(r.spent, id)
			r.need[t.user] = true
			continue
		}
		_, err := r.client.Revoke(ctx, id)
		switch {
		case err == nil:
			r.revoked(item)
			r.closedIDs = append(r.closedIDs, id)
		case errors.Is(err, agenttask.ErrTaskNotPending), errors.Is(err, agenttask.ErrTaskNotFound):
			r.spent = append(r.spent, id)
			r.need[t.user] = true
		default:
			r.fail(r.name, err)
		}
	}
	for _, id := range r.st.openSessions() {
		r.need[r.st.sessions[id].user] = true
	}
	for u := range r.st.creating {
		r.need[u] = true
	}
}

// plan lists the users' active sessions and decides which to revoke:
// the open recorded sessions still active, the sessions of spent tasks,
// and the agent sessions of lost creates.
func (r *fileSweep) plan(ctx context.Context) {
	active, listed := r.listActive(ctx, r.name, r.need)
	// A live run records a task before its URL is visited, so every
	// session listed above whose task is a live run's is in a ledger by
	// now: read them again before choosing sessions by agent.
	if len(r.st.creating) > 0 {
		r.refreshLive()
	}
	r.wanted, r.spentDone = map[string]bool{}, map[string]bool{}
	for _, id := range r.st.openSessions() {
		rec := r.st.sessions[id]
		if !listed[rec.user] {
			continue
		}
		i := slices.IndexFunc(active[rec.user], func(sess *clerk.Session) bool { return sess.ID == id })
		if i < 0 {
			r.closedIDs = append(r.closedIDs, id) // no longer active: nothing to do
			continue
		}
		r.want(active[rec.user][i], rec.task)
	}
	for _, id := range r.spent {
		u := r.st.tasks[id].user
		if !listed[u] {
			continue
		}
		r.spentDone[id] = true
		for _, sess := range active[u] {
			if a := agenttask.SessionActor(sess); a != nil && a.TaskID == id {
				r.want(sess, id)
			}
		}
	}
	for _, u := range sortedKeys(r.st.creating) {
		if listed[u] && r.planLostCreates(u, active[u]) {
			r.usersDone = append(r.usersDone, u)
		}
	}
}

// want adds a session to revoke, once.
func (r *fileSweep) want(sess *clerk.Session, task string) {
	if !r.wanted[sess.ID] {
		r.wanted[sess.ID] = true
		r.wants = append(r.wants, sessionWant{sess, task})
	}
}

// planLostCreates wants the agent sessions of u that creates the run
// announced, and never recorded a task of, may have made: those of this
// project's agents (or any agent's, with AllAgentSessions) made since
// the earliest lost create, except live runs' tasks'. It reports whether
// u is dealt with; an agent session of an unknown agent is a failure.
func (r *fileSweep) planLostCreates(u string, active []*clerk.Session) bool {
	var unknown []string
	// A session made before the earliest lost create began (less a
	// margin for the clocks) is no lost task's: a kept one, say.
	since := r.st.creating[u].since
	if since > 0 {
		since -= createClockSkew.Milliseconds()
	}
	for _, sess := range active {
		a := agenttask.SessionActor(sess)
		if a == nil || a.Type != "agent" || r.liveTasks[a.TaskID] || (since > 0 && sess.CreatedAt < since) {
			continue
		}
		if r.opts.AllAgentSessions || r.agents[a.Subject] {
			r.want(sess, a.TaskID)
		} else if !r.wanted[sess.ID] {
			unknown = append(unknown, sess.ID+" (agent "+a.Subject+")")
		}
	}
	if len(unknown) == 0 {
		return true
	}
	shown := unknown
	if len(shown) > 3 {
		shown = append(shown[:3:3], fmt.Sprintf("and %d more", len(unknown)-3))
	}
	r.fail(r.name, fmt.Errorf("%s announced %d create(s) with no task recorded, and has %d active agent session(s) of agents no ledger knows: %s: revoke them if they are this project's (agenttest sweep --all-agent-sessions)", u, r.st.creating[u].n, len(unknown), strings.Join(shown, ", ")))
	return false
}

// act revokes the wanted sessions. It returns the sessions, and their
// tasks, whose revocation failed; a session that ended meanwhile is
// done.
func (r *fileSweep) act(ctx context.Context) (failed map[string]bool) {
	failed = map[string]bool{}
	for _, w := range r.wants {
		item := SweepItem{Kind: "session", ID: w.sess.ID, UserID: w.sess.UserID, TaskID: w.task, Ledger: r.f.path}
		if r.opts.DryRun {
			r.revoked(item)
			continue
		}
		_, err := r.client.RevokeSession(ctx, w.sess.ID)
		var apiErr *agenttask.APIError
		switch {
		case err == nil:
			r.revoked(item)
		case errors.As(err, &apiErr) && (apiErr.Status == http.StatusBadRequest || apiErr.Status == http.StatusNotFound || apiErr.Status == http.StatusGone):
			// ended meanwhile: done
		default:
			r.fail(r.name, err)
			failed[w.sess.ID] = true
			if w.task != "" {
				failed[w.task] = true
			}
			continue
		}
		if r.st.sessions[w.sess.ID] != nil {
			r.closedIDs = append(r.closedIDs, w.sess.ID)
		}
	}
	return failed
}

// record closes what is done (spent tasks and lost creates whose
// sessions did not fail), reports the lost creates' unknown tasks, and,
// unless this is a dry run, appends the closings to the ledger and
// deletes or keeps it (errsBefore is the error count before this
// ledger).
func (r *fileSweep) record(failed map[string]bool, errsBefore int) {
	for id := range r.spentDone {
		if !failed[id] {
			r.closedIDs = append(r.closedIDs, id)
		}
	}
	for _, u := range r.usersDone {
		if slices.ContainsFunc(r.wants, func(w sessionWant) bool { return w.sess.UserID == u && failed[w.sess.ID] }) {
			continue
		}
		r.closedUsers = append(r.closedUsers, u)
		for range r.st.creating[u].n {
			r.rep.UnknownTasks = append(r.rep.UnknownTasks, SweepItem{Kind: "task", UserID: u, Ledger: r.f.path})
		}
	}
	if !r.opts.DryRun {
		r.finish(r.f, r.closedIDs, r.closedUsers, errsBefore)
	}
}

// listActive lists the active sessions of users; listed says whose
// listing succeeded. It learns this project's agents from the sessions
// of tasks any ledger recorded.
func (s *sweeper) listActive(ctx context.Context, name string, users map[string]bool) (active map[string][]*clerk.Session, listed map[string]bool) {
	active, listed = map[string][]*clerk.Session{}, map[string]bool{}
	for _, u := range sortedKeys(users) {
		list, err := s.client.ActiveSessions(ctx, u)
		if err != nil {
			s.fail(name, err)
			continue
		}
		listed[u] = true
		active[u] = list
		for _, sess := range list {
			if a := agenttask.SessionActor(sess); a != nil && a.Type == "agent" && a.Subject != "" && s.allTasks[a.TaskID] {
				s.agents[a.Subject] = true
			}
		}
	}
	return active, listed
}

// finish appends the closings to a dead run's ledger and deletes it when
// nothing in it is open and nothing failed (errsBefore is the error
// count before this ledger), or keeps it.
func (s *sweeper) finish(f *sweepFile, closedIDs, closedUsers []string, errsBefore int) {
	name, st := filepath.Base(f.path), f.state
	// Record what is done, so a sweep cut short resumes where it stopped.
	slices.Sort(closedIDs)
	closedIDs = slices.Compact(closedIDs)
	if err := f.record(closedIDs, closedUsers, s.now().UnixMilli()); err != nil {
		s.fail(name, err)
		s.rep.Kept = append(s.rep.Kept, f.path)
		return
	}
	for _, id := range closedIDs {
		delete(st.tasks, id)
		delete(st.sessions, id)
	}
	for _, u := range closedUsers {
		delete(st.creating, u)
	}
	if st.open() > 0 || s.rep.Errors > errsBefore {
		s.rep.Kept = append(s.rep.Kept, f.path)
		if s.rep.Errors == errsBefore {
			s.fail(name, fmt.Errorf("%d entries still open", st.open()))
		}
		return
	}
	if why := st.unreadable(); why != "" {
		// What it could read is done with; what it could not may not be.
		s.fail(name, errors.New(why))
		s.rep.Kept = append(s.rep.Kept, f.path)
		return
	}
	if err := os.Remove(f.path); err != nil {
		s.fail(name, err)
		s.rep.Kept = append(s.rep.Kept, f.path)
		return
	}
	s.rep.Removed++
}

// refreshLive adds the tasks of every ledger this sweep does not hold
// (live runs', and any that appeared since) to the protected tasks.
func (s *sweeper) refreshLive() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		path := filepath.Join(s.dir, e.Name())
		if s.dead[path] || !strings.HasSuffix(e.Name(), ledgerExt) {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue // removed by its run: its sessions are its own business
		}
		for id := range parseLedger(data).allTasks {
			s.liveTasks[id] = true
		}
	}
}

// revoked counts a revocation.
func (s *sweeper) revoked(it SweepItem) {
	s.rep.Revoked = append(s.rep.Revoked, it)
	if it.Kind == "task" {
		s.rep.TasksRevoked++
	} else {
		s.rep.SessionsRevoked++
	}
}

// sweepFile is a ledger opened by a sweep: with its lock held when its
// run is dead.
type sweepFile struct {
	path  string
	file  *os.File
	state *ledgerState
	torn  bool // the last line has no newline (a write cut short)
}

// openSweepFile opens and reads a ledger and tries its lock: live
// reports a lock held elsewhere. A nil file with a nil error means the
// file is gone (its run removed it).
func openSweepFile(path string) (f *sweepFile, live bool, err error) {
	file, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	ok, err := tryLock(file)
	if err != nil {
		file.Close()
		return nil, false, err
	}
	if ok {
		// The lock is ours: check the file was not removed (by its run,
		// as it closed) between our open and our lock.
		a, aerr := file.Stat()
		b, berr := os.Stat(path)
		if aerr != nil || berr != nil || !os.SameFile(a, b) {
			file.Close()
			return nil, false, nil
		}
	}
	data, err := io.ReadAll(io.NewSectionReader(file, 0, 1<<40))
	if err != nil {
		file.Close()
		return nil, false, err
	}
	return &sweepFile{
		path:  path,
		file:  file,
		state: parseLedger(data),
		torn:  len(data) > 0 && data[len(data)-1] != '\n',
	}, !ok, nil
}

// record appends the closings a sweep did and syncs.
func (f *sweepFile) record(ids, users []string, now int64) error {
	if len(ids) == 0 && len(users) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if f.torn {
		buf.WriteByte('\n') // end the torn line: it stays unreadable, ours do not
	}
	for _, id := range ids {
		line, _ := json.Marshal(ledgerEntry{Op: ledgerOpClosed, ID: id, At: now})
		buf.Write(append(line, '\n'))
	}
	for _, u := range users {
		line, _ := json.Marshal(ledgerEntry{Op: ledgerOpClosed, User: u, At: now})
		buf.Write(append(line, '\n'))
	}
	if _, err := f.file.Write(buf.Bytes()); err != nil {
		return err
	}
	f.torn = false
	return f.file.Sync()
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
