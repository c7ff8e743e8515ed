package agenttest

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// faultMatrixEnv turns the fault matrix on: `make faults` sets it. It
// takes a few minutes of stalls, one case after another, so the ordinary
// test run leaves it out.
const faultMatrixEnv = "AGENTTEST_FAULT_MATRIX"

// The fault matrix: a sign-in while Clerk misbehaves either passes or
// fails with one line naming its step, never hangs, and leaves nothing
// behind (no pending task, no active session). Each case has a stack of
// its own, and runs alone: the stalls are measured against real timeouts.
func TestFaultMatrix(t *testing.T) {
	if os.Getenv(faultMatrixEnv) == "" {
		t.Skip("set " + faultMatrixEnv + "=1 (make faults): stalls for up to 35 s per case")
	}
	type fault struct {
		route clerkemu.Route
		fault clerkemu.Fault
	}
	endRefused := fault{clerkemu.RouteEndSession, clerkemu.Fault{Status: 503}}
	cases := []struct {
		name   string
		faults []fault
		down   time.Duration // the Backend API refuses connections this long
		pass   bool
		step   Step // when it fails
		// restart cuts the Backend API's connections between the sign-in
		// and the cleanup, and refuses new ones this long.
		restart time.Duration
	}{
		{"429 storm on create", []fault{{clerkemu.RouteCreateTask, clerkemu.Fault{Times: 5, Status: 429, RetryAfter: time.Second}}}, 0, true, "", 0},
		{"5xx burst on create", []fault{{clerkemu.RouteCreateTask, clerkemu.Fault{Times: 3, Status: 503}}}, 0, true, "", 0},
		{"resets on create", []fault{{clerkemu.RouteCreateTask, clerkemu.Fault{Times: 2, Drop: true}}}, 0, true, "", 0},
		{"3 s stall on create", []fault{{clerkemu.RouteCreateTask, clerkemu.Fault{Delay: 3 * time.Second}}}, 0, true, "", 0},
		{"35 s stall on create", []fault{{clerkemu.RouteCreateTask, clerkemu.Fault{Delay: 35 * time.Second}}}, 0, true, "", 0},
		{"3 s stall on the task URL", []fault{{clerkemu.RouteAcceptTask, clerkemu.Fault{Delay: 3 * time.Second}}}, 0, true, "", 0},
		{"35 s stall on the task URL", []fault{{clerkemu.RouteAcceptTask, clerkemu.Fault{Delay: 35 * time.Second}}}, 0, false, StepNavigate, 0},
		{"503 on the task URL", []fault{{clerkemu.RouteAcceptTask, clerkemu.Fault{Status: 503}}}, 0, false, StepNavigate, 0},
		// Release ends the session on the Frontend API; when that fails it
		// revokes it through the Backend API, whose faults follow.
		{"503 on the session's end", []fault{{clerkemu.RouteEndSession, clerkemu.Fault{Status: 503}}}, 0, true, "", 0},
		{"429 storm on revoke", []fault{endRefused, {clerkemu.RouteRevokeSession, clerkemu.Fault{Times: 3, Status: 429, RetryAfter: time.Second}}}, 0, true, "", 0},
		{"35 s stall on revoke", []fault{endRefused, {clerkemu.RouteRevokeSession, clerkemu.Fault{Delay: 35 * time.Second}}}, 0, true, "", 0},
		{"JWKS failing in the app", []fault{{clerkemu.RouteJWKS, clerkemu.Fault{Times: 1000, Status: 500}}}, 0, false, StepNavigate, 0},
		{"user lookups failing in the app", []fault{{clerkemu.RouteGetUser, clerkemu.Fault{Times: 1000, Status: 500}}}, 0, false, StepNavigate, 0},
		{"Backend API down 5 s", nil, 5 * time.Second, true, "", 0},
		{"Backend API down 40 s", nil, 40 * time.Second, false, StepToken, 0},
		{"Backend API restarted before the cleanup", nil, 0, true, "", 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := fixtureStartWith(t, clerkemu.Options{})
			proxy := newFaultProxy(t, strings.TrimPrefix(s.emu.BackendURL(), "http://"))
			client, err := agenttask.NewClient(agenttask.Config{SecretKey: s.emu.SecretKey(), APIURL: "http://" + proxy.addr(), Limiter: rate.NewLimiter(rate.Inf, 0)})
			require.NoError(t, err)
			for _, f := range c.faults {
				s.emu.InjectFault(f.route, f.fault)
			}
			if c.down > 0 {
				proxy.down(c.down)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang fails here
			defer cancel()
			p, err := NewPageContext(ctx, s.opts(WithClient(client), WithTrace(TraceOff))...)
			require.NoError(t, err)
			err = p.SignIn(ctx, AsUser(fixtureAda))
			if c.restart > 0 {
				proxy.down(c.restart)
			}
			releaseErr := p.Release(context.WithoutCancel(ctx))
			if c.pass {
				require.NoError(t, err)
			} else {
				var sie *SignInError
				require.ErrorAs(t, err, &sie)
				assert.Equal(t, c.step, sie.Step, "%v", err)
				assert.NotContains(t, err.Error(), "\n", "one line")
				t.Log(err) // make faults -v shows each failure's line
			}
			assert.NoError(t, releaseErr, "cleanup")
			client.CloseIdleConnections()
			proxy.up()
			assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending), "tasks left pending")
			assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive), "sessions left active")
		})
	}
}

// faultProxy forwards TCP connections to a target, and can refuse them
// for a while (down): the Backend API unreachable, then back.
type faultProxy struct {
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{} // open, to close at the end
	ln     net.Listener
	at     string
	timer  *time.Timer
	wg     sync.WaitGroup
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	p := &faultProxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.at = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.mu.Lock()
		if p.timer != nil {
			p.timer.Stop()
		}
		if p.ln != nil {
			p.ln.Close()
		}
		p.ln = nil
		for c := range p.conns {
			c.Close() // idle keep-alive connections would block forever
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *faultProxy) addr() string { return p.at }

// serve accepts on ln until it is closed, forwarding each connection.
func (p *faultProxy) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.track(c, true)
			p.wg.Go(func() {
				defer p.track(c, false)
				defer c.Close()
				u, err := net.Dial("tcp", p.target)
				if err != nil {
					return
				}
				p.track(u, true)
				defer p.track(u, false)
				defer u.Close()
				var copies sync.WaitGroup
				copies.Go(func() { _, _ = io.Copy(u, c); u.Close(); c.Close() })
				copies.Go(func() { _, _ = io.Copy(c, u); u.Close(); c.Close() })
				copies.Wait()
			})
		}
	})
}

// track adds or removes an open connection.
func (p *faultProxy) track(c net.Conn, open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		p.conns = map[net.Conn]struct{}{}
	}
	if open {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

// down closes the listener and every open connection (new ones are
// refused) for d.
func (p *faultProxy) down(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.timer = time.AfterFunc(d, p.up)
}

// up listens again on the same address, if down.
func (p *faultProxy) up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.at)
	if err != nil {
		return
	}
	p.serve(ln)
}
