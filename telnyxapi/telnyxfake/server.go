package telnyxfake

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// handlerDrainTimeout bounds how long Close waits for handlers. The API's handlers return at
// once; only a Gateway that ignores its request context can hit it.
const handlerDrainTimeout = 10 * time.Second

// Server runs a Fake on a real loopback listener (127.0.0.1, a free port). It uses net.Listen
// and http.Server rather than net/http/httptest, because the sandbox binary imports this
// package and httptest would register its global flags there.
type Server struct {
	*Fake
	// URL is the root, e.g. http://127.0.0.1:PORT; the well-known documents live here.
	URL string
	// BaseURL is URL plus the prefix, e.g. http://127.0.0.1:PORT/v2: the API base URL.
	BaseURL string

	srv       *http.Server
	cancel    context.CancelFunc
	serveDone chan struct{}

	mu       sync.Mutex
	closing  bool
	active   int
	hijacked map[net.Conn]struct{}

	closeOnce sync.Once
	closeErr  error
}

// Listen starts a Fake built from opts on 127.0.0.1:0. Its issuer is pinned to Server.URL.
func Listen(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		Fake:      f,
		URL:       "http://" + ln.Addr().String(),
		cancel:    cancel,
		serveDone: make(chan struct{}),
		hijacked:  map[net.Conn]struct{}{},
	}
	s.BaseURL = s.URL + f.prefix
	f.pinIssuer(s.URL)
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		// Request contexts derive from ctx, so Close ends every Gateway that waits on them.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ConnState:   s.connState,
		// A Gateway may break connections on purpose; their log lines are noise.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(s.serveDone)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// handle counts running handlers so Close can wait for them. A request that slips in after
// Close began is dropped: its connection is already closed.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.active++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	s.Fake.ServeHTTP(w, r)
}

// connState remembers hijacked connections: http.Server.Close no longer owns them.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	if st != http.StateHijacked {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hijacked == nil { // already closed: nobody else will close it
		_ = c.Close()
		return
	}
	s.hijacked[c] = struct{}{}
}

// Close stops the server: it cancels every request context, closes the listener and all
// connections (hijacked ones too), and waits for the serving goroutine and every handler to
// return, so goleak finds nothing of the fake's. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Connections first, contexts second: a Gateway that wakes up on the cancelled context
		// must find its connection gone, or net/http would send its empty 200.
		s.closeErr = s.srv.Close()
		s.cancel()
		s.mu.Lock()
		s.closing = true
		for c := range s.hijacked {
			_ = c.Close()
		}
		s.hijacked = nil
		s.mu.Unlock()
		<-s.serveDone

		deadline := time.Now().Add(handlerDrainTimeout)
		for {
			s.mu.Lock()
			n := s.active
			s.mu.Unlock()
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				s.closeErr = errors.Join(s.closeErr, errors.New("telnyxfake: handlers still running after Close"))
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	return s.closeErr
}
