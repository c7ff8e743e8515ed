//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || illumos)

package ledger

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// tryLock is not implemented here: ledgers rely on flock(2), which
// tells a live run's file from a dead one's, and this platform has no
// flock in package syscall. Open and Sweep fail with
// errors.ErrUnsupported.
func tryLock(*os.File) (bool, error) {
	return false, fmt.Errorf("ledgers need flock, which %s lacks: %w", runtime.GOOS, errors.ErrUnsupported)
}
