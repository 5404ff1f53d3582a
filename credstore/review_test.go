package credstore

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestReviewStaleLockBrokenOnce: when several waiters find a lock file
// left by a crashed process, only one of them may hold the lock at a time,
// or two would refresh with the same rotating refresh token.
func TestReviewStaleLockBrokenOnce(t *testing.T) {
	s := newStore(t, nil, Auto)
	require.NoError(t, os.MkdirAll(s.Dir, 0o700))
	path := filepath.Join(s.Dir, "refresh.lock")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var overlaps atomic.Int64
	for round := 0; round < 30 && overlaps.Load() == 0; round++ {
		require.NoError(t, os.WriteFile(path, nil, 0o600))
		old := time.Now().Add(-time.Hour)
		require.NoError(t, os.Chtimes(path, old, old))
		var holders atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				unlock, err := s.Lock(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if holders.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(2 * time.Millisecond)
				holders.Add(-1)
				unlock()
			}()
		}
		close(start)
		wg.Wait()
	}
	require.Zero(t, overlaps.Load(), "two holders of the refresh lock at once")
}
