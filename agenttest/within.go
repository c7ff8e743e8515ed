package agenttest

import "context"

// within runs f in a goroutine and waits for it until ctx ends. It
// reports whether f returned in time; when it did not, f goes on running
// and the caller must not read what f writes. It bounds the waits on a
// browser that may have stopped answering (Page.Release, Browser.Close).
func within(ctx context.Context, f func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
