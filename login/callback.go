package login

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// Errors a callback can end with. None of them carries the code.
var (
	ErrStateMismatch = errors.New("the browser came back with a state that does not belong to this login: refused (an old browser tab, or a forged request); run login again")
	ErrNoCode        = errors.New("the browser came back without an authorization code: refused")
)

// DeniedError is a callback carrying an OAuth error (RFC 6749 §4.1.2.1),
// for example access_denied when the user declined.
type DeniedError struct {
	Code        string
	Description string
}

func (e *DeniedError) Error() string {
	msg := "Telnyx did not authorize the login: " + e.Code
	if e.Description != "" {
		msg += " (" + e.Description + ")"
	}
	return msg
}

// callback is the loopback redirect endpoint of one login. It acts on
// exactly one request to /callback, then stops listening; requests for
// other paths (a browser's /favicon.ico) get a 404 and change nothing.
type callback struct {
	srv     *http.Server
	results chan callbackResult
	done    chan struct{}
}

type callbackResult struct {
	code string
	err  error
	// verdict carries the login's outcome back to the waiting handler, so
	// the page the browser shows tells the truth.
	verdict chan error
}

// verdictTimeout bounds how long the browser's request waits for the code
// exchange.
const verdictTimeout = time.Minute

func serveCallback(ln net.Listener, state string) *callback {
	cb := &callback{results: make(chan callbackResult, 1), done: make(chan struct{})}
	var once sync.Once
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != callbackPath {
			http.NotFound(w, r)
			return
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			page(w, http.StatusGone, "This login has already been handled", "Close this tab.")
			return
		}
		res := checkCallback(r, state)
		if res.err != nil {
			page(w, http.StatusBadRequest, "Telnyx login failed", res.err.Error()+" Return to the terminal.")
			cb.results <- res
			return
		}
		res.verdict = make(chan error, 1)
		cb.results <- res
		var err error
		select {
		case err = <-res.verdict:
		case <-r.Context().Done():
			return
		case <-time.After(verdictTimeout):
			err = errors.New("the login did not finish in time")
		}
		if err != nil {
			page(w, http.StatusBadRequest, "Telnyx login failed", "The authorization could not be completed. Return to the terminal for the reason.")
			return
		}
		page(w, http.StatusOK, "Telnyx login complete", "telnyx-oauth-mcp is logged in. You can close this tab and return to the terminal.")
	})
	cb.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(cb.done)
		_ = cb.srv.Serve(ln)
	}()
	return cb
}

// wait returns the authorization code of the one callback, or why there is
// none. With a code, the caller must call finish with the login's outcome:
// the browser's page reports it, and the listener closes. Without one, the
// listener is closed already and finish does nothing.
func (cb *callback) wait(ctx context.Context) (code string, finish func(error), err error) {
	var res callbackResult
	select {
	case res = <-cb.results:
	case <-ctx.Done():
		res.err = fmt.Errorf("no answer from the browser: %w", ctx.Err())
	}
	if res.err != nil {
		cb.close()
		return "", func(error) {}, res.err
	}
	var once sync.Once
	return res.code, func(outcome error) {
		once.Do(func() {
			res.verdict <- outcome
			cb.close()
		})
	}, nil
}

// close stops listening at once and gives the answer page time to finish.
func (cb *callback) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := cb.srv.Shutdown(ctx); err != nil {
		_ = cb.srv.Close()
	}
	<-cb.done
}

// checkCallback reads the redirect: state first (RFC 6749 §10.12), then an
// error, then the code. Each parameter must appear exactly once.
func checkCallback(r *http.Request, state string) callbackResult {
	if r.Method != http.MethodGet {
		return callbackResult{err: fmt.Errorf("the browser came back with %s instead of GET: refused", safetext.Sanitize(r.Method))}
	}
	q := r.URL.Query()
	got := q["state"]
	if len(got) != 1 || subtle.ConstantTimeCompare([]byte(got[0]), []byte(state)) != 1 {
		return callbackResult{err: ErrStateMismatch}
	}
	if e := q["error"]; len(e) > 0 {
		return callbackResult{err: &DeniedError{Code: safetext.Clip(safetext.Sanitize(e[0]), 64), Description: safetext.Clip(safetext.Sanitize(q.Get("error_description")), 200)}}
	}
	code := q["code"]
	if len(code) != 1 || code[0] == "" {
		return callbackResult{err: ErrNoCode}
	}
	return callbackResult{code: code[0]}
}

// page answers with a small HTML page that loads nothing and links
// nowhere, so the code in the address bar leaks through no Referer.
func page(w http.ResponseWriter, status int, title, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"+
		"<body style=\"font-family:sans-serif;margin:3em\"><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(message))
}
