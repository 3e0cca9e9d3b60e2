package pgcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on home/.lock, waiting for other fangyuan processes that
// hold it (a concurrent `fangyuan db up`, for example).
func lockDir(home string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(home, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock cluster home: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock cluster home: %w", err)
	}
	return func() { f.Close() }, nil
}
