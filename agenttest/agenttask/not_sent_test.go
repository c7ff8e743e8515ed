package agenttask

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// waitForeverLimiter never lets a request go: Wait ends with its context.
type waitForeverLimiter struct{}

func (waitForeverLimiter) Wait(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// A create whose context ends while it waits for the limiter sent
// nothing, and says so (ErrNotSent); one whose answer was lost may have
// made a task, and does not.
func TestCreateSaysWhenNothingWasSent(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	params := CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect}

	held := clientTestClient(t, emu, withLimiter(waitForeverLimiter{}))
	ctx, cancel := context.WithTimeout(clientTestCtx(t), 50*time.Millisecond)
	defer cancel()
	_, err := held.Create(ctx, params)
	if !errors.Is(err, ErrNotSent) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("create held by the limiter: %v, want ErrNotSent and the deadline", err)
	}
	if n := emu.Requests(clerkemu.RouteCreateTask); n != 0 {
		t.Fatalf("the emulator got %d creates, want none", n)
	}

	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Delay: 2 * time.Second})
	lost := clientTestClient(t, emu)
	ctx, cancel = context.WithTimeout(clientTestCtx(t), 200*time.Millisecond)
	defer cancel()
	_, err = lost.Create(ctx, params)
	if err == nil || errors.Is(err, ErrNotSent) {
		t.Fatalf("create whose answer was lost: %v, want an error that is not ErrNotSent", err)
	}
	if n := emu.Requests(clerkemu.RouteCreateTask); n != 1 {
		t.Fatalf("the emulator got %d creates, want 1", n)
	}
}
