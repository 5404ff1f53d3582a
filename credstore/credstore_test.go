package credstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zalando/go-keyring"
)

const (
	base       = "https://api.telnyx.com/v2"
	atCanary   = "ATCANARY-0123456789abcdef"
	rtCanary   = "RTCANARY-0123456789abcdef"
	keyCanary  = "KEYCANARY-0123456789abcdef"
	errMessage = "no keychain here"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(lockHolderEnv); dir != "" {
		holdLock(dir) // a child process of TestLockReleasedWhenHolderDies
		return
	}
	keyring.MockInit() // go-keyring's in-memory provider for the OS keychain
	os.Exit(m.Run())
}

var seq atomic.Int64

// newStore returns a store on the mock keychain (or kr) and a fresh
// directory that does not exist yet.
func newStore(t *testing.T, kr Keyring, mode Mode) *Store {
	return &Store{
		Keyring: kr, Mode: mode,
		Service: fmt.Sprintf("credstore-test-%d", seq.Add(1)),
		Dir:     filepath.Join(t.TempDir(), "telnyx-oauth-mcp"),
	}
}

type brokenKeyring struct{ err error }

func (b brokenKeyring) Get(string, string) (string, error) { return "", b.err }
func (b brokenKeyring) Set(string, string, string) error   { return b.err }
func (b brokenKeyring) Delete(string, string) error        { return b.err }

// tooBig is a keychain that works but refuses large entries, as macOS and
// Windows do.
type tooBig struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *tooBig) Get(s, u string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.m[s+"|"+u]; ok {
		return v, nil
	}
	return "", keyring.ErrNotFound
}

func (k *tooBig) Set(s, u, p string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(p) > 300 {
		return keyring.ErrSetDataTooBig
	}
	k.m[s+"|"+u] = p
	return nil
}

func (k *tooBig) Delete(s, u string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[s+"|"+u]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.m, s+"|"+u)
	return nil
}

func oauth() *Credential {
	return &Credential{Kind: KindOAuth, BaseURL: base, AccessToken: atCanary, RefreshToken: rtCanary,
		Expiry: time.Now().Add(time.Hour).UTC().Round(time.Second), ClientID: "cid", Scope: "admin"}
}

func TestKeychainRoundTrip(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil, Auto)
	saved, err := s.Save(oauth())
	require.NoError(t, err)
	assert.Equal(t, Keychain, saved.Location)
	assert.NoError(t, saved.KeychainErr)
	assert.NoDirExists(t, s.Dir, "nothing on disk")

	got, loc, err := s.Load(base)
	require.NoError(t, err)
	assert.Equal(t, Keychain, loc)
	assert.Equal(t, atCanary, got.AccessToken)
	assert.Equal(t, rtCanary, got.RefreshToken)
	assert.Equal(t, "cid", got.ClientID)
	assert.False(t, got.SavedAt.IsZero())

	raw, err := OSKeyring.Get(s.Service, base)
	require.NoError(t, err, "filed under the service, account = base URL")
	assert.Contains(t, raw, atCanary)

	none, _, err := s.Load("http://127.0.0.1:1/v2")
	require.NoError(t, err)
	assert.Nil(t, none)

	removed, err := s.Delete(base)
	require.NoError(t, err)
	assert.Equal(t, []Location{Keychain}, removed)
	got, _, err = s.Load(base)
	require.NoError(t, err)
	assert.Nil(t, got)
}

func TestFileFallback(t *testing.T) {
	t.Parallel()
	s := newStore(t, brokenKeyring{errors.New(errMessage)}, Auto)
	saved, err := s.Save(oauth())
	require.NoError(t, err)
	assert.Equal(t, File, saved.Location)
	assert.EqualError(t, saved.KeychainErr, errMessage, "the reason is reported")

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(s.FilePath())
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(s.Dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	}
	got, loc, err := s.Load(base)
	require.NoError(t, err)
	assert.Equal(t, File, loc)
	assert.Equal(t, atCanary, got.AccessToken)

	// A second base URL shares the file; deleting one keeps the other.
	other := oauth()
	other.BaseURL = "http://127.0.0.1:9/v2"
	_, err = s.Save(other)
	require.NoError(t, err)
	removed, err := s.Delete(base)
	require.NoError(t, err)
	assert.Equal(t, []Location{File}, removed)
	got, _, err = s.Load(other.BaseURL)
	require.NoError(t, err)
	assert.NotNil(t, got)
	_, err = s.Delete(other.BaseURL)
	require.NoError(t, err)
	assert.NoFileExists(t, s.FilePath(), "an empty store leaves no file")
	entries, err := os.ReadDir(s.Dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no temporary files left behind")
}

// TestTooBigForKeychain: an entry the keychain refuses goes to the file,
// and a stale keychain copy is removed so it cannot shadow the file.
func TestTooBigForKeychain(t *testing.T) {
	t.Parallel()
	kr := &tooBig{m: map[string]string{}}
	s := newStore(t, kr, Auto)
	small := &Credential{Kind: KindAPIKey, BaseURL: base, APIKey: keyCanary}
	saved, err := s.Save(small)
	require.NoError(t, err)
	assert.Equal(t, Keychain, saved.Location)

	big := oauth()
	big.AccessToken = atCanary + string(make([]byte, 400))
	saved, err = s.Save(big)
	require.NoError(t, err)
	assert.Equal(t, File, saved.Location)
	assert.ErrorIs(t, saved.KeychainErr, keyring.ErrSetDataTooBig)
	got, loc, err := s.Load(base)
	require.NoError(t, err)
	assert.Equal(t, File, loc, "the stale keychain entry is gone")
	assert.Equal(t, KindOAuth, got.Kind)

	// Back in the keychain: the file copy is removed.
	saved, err = s.Save(small)
	require.NoError(t, err)
	assert.Equal(t, Keychain, saved.Location)
	assert.NoFileExists(t, s.FilePath())
}

func TestModes(t *testing.T) {
	t.Parallel()
	t.Run("file only never touches the keychain", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, brokenKeyring{errors.New("must not be called")}, FileOnly)
		saved, err := s.Save(oauth())
		require.NoError(t, err)
		assert.Equal(t, File, saved.Location)
		assert.NoError(t, saved.KeychainErr)
		_, loc, err := s.Load(base)
		require.NoError(t, err)
		assert.Equal(t, File, loc)
	})
	t.Run("keychain only fails without one", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, brokenKeyring{errors.New(errMessage)}, KeychainOnly)
		_, err := s.Save(oauth())
		require.ErrorContains(t, err, errMessage)
		_, _, err = s.Load(base)
		require.ErrorContains(t, err, errMessage)
		assert.NoDirExists(t, s.Dir)
	})
	t.Run("from the environment", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		env := map[string]string{EnvStore: "FILE", EnvConfigDir: dir}
		s, err := FromEnv(func(k string) string { return env[k] })
		require.NoError(t, err)
		assert.Equal(t, FileOnly, s.Mode)
		assert.Equal(t, filepath.Join(dir, FileName), s.FilePath())
		env[EnvStore] = "vault"
		_, err = FromEnv(func(k string) string { return env[k] })
		assert.ErrorContains(t, err, EnvStore)
		env[EnvStore], env[EnvConfigDir] = "", ""
		s, err = FromEnv(func(k string) string { return env[k] })
		require.NoError(t, err)
		assert.Equal(t, Auto, s.Mode)
		assert.Equal(t, "telnyx-oauth-mcp", filepath.Base(s.Dir))
	})
}

func TestCorruptEntries(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil, Auto)
	require.NoError(t, OSKeyring.Set(s.Service, base, "not json "+keyCanary))
	_, _, err := s.Load(base)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), keyCanary)

	f := newStore(t, nil, FileOnly)
	require.NoError(t, WritePrivateFile(f.FilePath(), []byte("{"+keyCanary)))
	_, _, err = f.Load(base)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), keyCanary)
}

// TestCredentialNeverPrints: fmt verbs show a masked credential.
func TestCredentialNeverPrints(t *testing.T) {
	t.Parallel()
	c := oauth()
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %s %#v", c, c, c, c), fmt.Sprint(*c)} {
		assert.NotContains(t, s, atCanary)
		assert.NotContains(t, s, rtCanary)
		assert.Contains(t, s, "****cdef")
	}
	k := Credential{Kind: KindAPIKey, APIKey: keyCanary}
	assert.NotContains(t, fmt.Sprintf("%v", k), keyCanary)
	assert.Contains(t, Credential{Kind: KindAPIKey, APIKey: "short"}.String(), "(****)", "a short secret shows none of its characters")
}

func TestLock(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil, Auto)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx)
	require.NoError(t, err)

	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	_, err = s.Lock(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "held by someone else")

	got := make(chan error, 1)
	go func() {
		u, err := s.Lock(ctx)
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	unlock()
	unlock() // twice is harmless
	require.NoError(t, <-got)

	// A lock file left behind (by a crash) does not block: only a process
	// holding the lock does.
	path := filepath.Join(s.Dir, "refresh.lock")
	require.FileExists(t, path)
	quick, cancelQuick := context.WithTimeout(ctx, time.Second)
	defer cancelQuick()
	u, err := s.Lock(quick)
	require.NoError(t, err)
	u()
}

// lockHolderEnv makes the test binary a process that takes the lock in the
// directory it names, says so on stdout, and waits to be killed.
const lockHolderEnv = "CREDSTORE_TEST_HOLD_LOCK"

func holdLock(dir string) {
	if _, err := (&Store{Dir: dir}).Lock(context.Background()); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute) // killed long before
	os.Exit(1)
}

// TestLockReleasedWhenHolderDies: a process that dies holding the lock
// (killed in the middle of a refresh) releases it at once, with no
// staleness timeout, because the OS drops a dead process's file locks.
func TestLockReleasedWhenHolderDies(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil, Auto)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), lockHolderEnv+"="+s.Dir)
	out, err := child.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, child.Start())
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n') // waits for the child, bounded by ctx
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	_, err = s.Lock(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the child holds the lock")

	require.NoError(t, child.Process.Kill())
	_ = child.Wait()
	soon, cancelSoon := context.WithTimeout(ctx, 5*time.Second)
	defer cancelSoon()
	u, err := s.Lock(soon)
	require.NoError(t, err, "the dead child's lock is released")
	u()
}

// TestStaleLockBrokenOnce: when several waiters find a lock file
// left by a crashed process, only one of them may hold the lock at a time,
// or two would refresh with the same rotating refresh token.
func TestStaleLockBrokenOnce(t *testing.T) {
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
