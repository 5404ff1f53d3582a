// Package telnyxapi is a small client for the Telnyx OAuth API: OAuth
// clients, grants, the protocol endpoints and discovery. It is written for a
// server that acts on a model's behalf, so it is strict where the official
// SDKs are lenient: ids are validated before a URL is built, redirects are
// never followed, only idempotent calls are retried, every body is read
// through a size cap, and no credential ever appears in an error.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-clients
package telnyxapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/loopback"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// DefaultBaseURL is the production API base. The /.well-known/ documents
// live at the host root, without /v2.
const DefaultBaseURL = "https://api.telnyx.com/v2"

// Defaults for Config fields left zero.
const (
	DefaultAttemptTimeout = 30 * time.Second
	DefaultCallTimeout    = 60 * time.Second
	DefaultMaxRetries     = 2
	DefaultBackoff        = 500 * time.Millisecond
	DefaultMaxRetryWait   = 30 * time.Second
	DefaultMaxBodyBytes   = 10 << 20
)

// Config configures a Client. Only BaseURL is checked for shape; which
// credential an operation needs is checked when it runs.
type Config struct {
	// BaseURL is the API base, DefaultBaseURL when empty. It must be https,
	// or plain http on a loopback host (a local mock or the sandbox).
	BaseURL string

	// APIKey is the Telnyx API v2 key sent as the bearer on account calls.
	APIKey string

	// ClientID and ClientSecret are an OAuth client's credentials: client
	// authentication for the token and introspection endpoints and, when no
	// APIKey is set, the source of a client-credentials bearer token.
	ClientID     string
	ClientSecret string

	// UserAgent names the software, e.g. "telnyx-oauth-mcp/1.2.3".
	UserAgent string

	// AttemptTimeout bounds one HTTP attempt, CallTimeout a whole call with
	// its retries. The caller's context deadline applies as well.
	AttemptTimeout time.Duration
	CallTimeout    time.Duration

	// MaxRetries is the number of retries of an idempotent call; negative
	// means none, zero means DefaultMaxRetries.
	MaxRetries int

	// Backoff is the first retry delay, doubled for each retry (capped at
	// 8 s) less up to 25 % jitter.
	Backoff time.Duration

	// MaxRetryWait caps how long a Retry-After may make a call wait. When
	// the API asks for longer, the call fails at once and says when to
	// retry.
	MaxRetryWait time.Duration

	// MaxBodyBytes caps every response body, error or not.
	MaxBodyBytes int64

	// Transport carries the requests; http.DefaultTransport's settings when
	// nil. Redirects are never followed whatever the transport.
	Transport http.RoundTripper

	// OnAttempt, when set, is told about every HTTP attempt: for metrics.
	// It must be fast and must not block.
	OnAttempt func(Attempt)

	// Bearer, when set, supplies the bearer token of account calls when
	// neither APIKey nor ClientID and ClientSecret are set: for example a
	// stored login's access token, which the source refreshes itself.
	Bearer TokenSource
}

// TokenSource supplies a bearer token. It is called for every request that
// needs one, concurrently, so it should cache. Its errors reach the caller
// as credential errors and must name no secret. A source that also has a
// method Current() string, returning the token it last handed out, gets
// that token scrubbed from error texts.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Attempt describes one finished HTTP attempt of an operation.
type Attempt struct {
	Operation string        // operationId, e.g. "ListOAuthClients"
	Retry     int           // 0 for the first attempt
	Status    int           // 0 when no response arrived
	Duration  time.Duration // request sent to body read
	Err       error         // transport error, if any, without the request URL
}

// withoutURL drops the request URL from a transport error: a consent
// token travels in the path, and hooks may log what they are given.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Client calls the Telnyx OAuth API. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL // API base, e.g. https://api.telnyx.com/v2
	root   *url.URL // host root for /.well-known/
	http   *http.Client
	tokens *tokenSource // client-credentials bearer when no API key is set
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "telnyx-oauth-mcp"
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	transport := cfg.Transport
	if transport == nil {
		transport = defaultTransport()
	}
	root := *base
	root.Path = strings.TrimSuffix(base.Path, "/v2")
	root.RawPath = ""
	c := &Client{
		cfg:  cfg,
		base: base,
		root: &root,
		http: &http.Client{
			Transport: transport,
			// A 3xx is data: following it could carry the credential to
			// another host (Go keeps Authorization when only the port
			// differs) or turn the authorize redirect into an HTML page.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if cfg.APIKey == "" && cfg.ClientID != "" && cfg.ClientSecret != "" {
		c.tokens = &tokenSource{sem: make(chan struct{}, 1), fetch: c.clientCredentialsToken}
	}
	return c, nil
}

// WithAPIKey returns a Client that shares c's connections and settings but
// authenticates account calls with key. A shared HTTP server uses it to call
// Telnyx with each caller's own key.
func (c *Client) WithAPIKey(key string) *Client {
	clone := *c
	clone.cfg.APIKey = key
	clone.tokens = nil
	return &clone
}

// BaseURL is the API base the client calls.
func (c *Client) BaseURL() string { return c.base.String() }

// HasClientCredentials reports whether an OAuth client id and secret were
// configured for client authentication.
func (c *Client) HasClientCredentials() bool {
	return c.cfg.ClientID != "" && c.cfg.ClientSecret != ""
}

// ParseBaseURL checks an API base URL: https, or http on a loopback host; no
// credentials, query or fragment. A trailing slash is dropped.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %w", raw, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("base URL %q: must be an absolute https URL", raw)
	}
	if u.Scheme == "http" && !loopback.IsHost(u.Hostname()) {
		return nil, fmt.Errorf("base URL %q: plain http is only allowed for loopback hosts (127.0.0.1, ::1, localhost)", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("base URL %q: must not carry credentials, a query or a fragment", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	// A shared HTTP server has as many requests to Telnyx in flight as it
	// has callers; with fewer idle connections kept than that, every burst
	// closes and reopens connections (measured: hundreds of new connections
	// a second under the bench's 64 callers).
	t.MaxIdleConnsPerHost = 100
	t.Proxy = http.ProxyFromEnvironment
	return t
}

// authKind says how an operation authenticates.
type authKind int

const (
	authNone   authKind = iota
	authBearer          // the API key, or a client-credentials access token
	authClient          // OAuth client authentication (token endpoint)
	// authClientOrBearer is client authentication when client credentials
	// are at hand, else the bearer (the introspection endpoint).
	authClientOrBearer
)

// operation describes one API operation: the request do sends and how it
// reads the answer.
type operation struct {
	op         string // operationId from the API spec, used in errors
	method     string
	atRoot     bool     // the path hangs off the host root, not the API base
	path       []string // literal segments; values are validated by the caller
	query      url.Values
	jsonBody   any
	formBody   url.Values
	auth       authKind
	clientAuth ClientAuth
	envelope   bool   // the answer is {"data": ...}
	accept     string // Accept header; application/json when empty
	noContent  bool   // success is 204 with no body
	redirectOK bool   // a 3xx is the result (authorize)
	secrets    []string
	// secretAnswer marks a call whose successful answer carries secrets (a
	// new client's secret, issued tokens): no excerpt of it goes into an
	// error.
	secretAnswer bool
}

// do runs cl and decodes a successful answer into out (which may be nil). It
// returns the final response status and headers for callers that need them.
// Each attempt is checked into an error, and the operation's policy decides
// from that error whether to send it again (see classify).
func (c *Client) do(ctx context.Context, cl *operation, out any) (int, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	p := policies[cl.op]
	scrub := c.scrubber(cl)
	refreshed := false
	reached := false // an earlier attempt may have reached the server
	for attempt := 0; ; attempt++ {
		began := time.Now()
		status, header, body, err := c.attempt(ctx, cl)
		if c.cfg.OnAttempt != nil {
			c.cfg.OnAttempt(Attempt{Operation: cl.op, Retry: attempt, Status: status, Duration: time.Since(began), Err: withoutURL(err)})
		}
		status, header, err = c.check(ctx, cl, status, header, body, err, out, scrub)
		canRefresh := !refreshed && c.tokens != nil && c.usesBearer(cl)
		v := classify(p, err, canRefresh)
		switch v {
		case finish:
			return status, header, c.failure(cl, p, err, attempt+1, reached)
		case finishUnknown:
			var send *sendError
			if errors.As(err, &send) {
				err = send.err
			}
			return status, header, &OutcomeUnknownError{Operation: cl.op, Err: err}
		case refresh:
			c.tokens.invalidate()
			refreshed = true
			continue
		}
		if attempt >= c.cfg.MaxRetries {
			return status, header, c.failure(cl, p, err, attempt+1, reached)
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			// No answer: nothing asked for a pause, so the backoff is taken.
			reached = reached || v == retryAmbiguous
			if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
				return 0, nil, &TransportError{Operation: cl.op, Attempts: attempt + 1, Err: err}
			}
			continue
		}
		wait := apiErr.RetryAfter
		if !apiErr.retryAsked {
			wait = c.backoff(attempt)
		}
		if wait > c.cfg.MaxRetryWait || !fitsDeadline(ctx, wait) {
			// Waiting that long would outlive the call: fail now and say when.
			return status, header, apiErr
		}
		reached = reached || v == retryAmbiguous
		if err := c.sleep(ctx, wait); err != nil {
			// The call ended during the pause: the wait asked for is moot.
			apiErr.RetryAfter = 0
			return status, header, apiErr
		}
	}
}

// check turns one attempt into the error it means, as go-github's
// CheckResponse does: nil for a usable answer (decoded into out, or a
// redirect the call expects), else a typed error. It returns the status and
// headers the caller of do is given.
func (c *Client) check(ctx context.Context, cl *operation, status int, header http.Header, body []byte, err error, out any, scrub func(string) string) (int, http.Header, error) {
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, nil, &sendError{err: ctxErr, callEnded: true}
		}
		var ce *credentialError
		if errors.As(err, &ce) {
			return 0, nil, err
		}
		var tooLarge *bodyTooLargeError
		if errors.As(err, &tooLarge) {
			return tooLarge.status, nil, &ResponseError{Operation: cl.op, Status: tooLarge.status, Reason: tooLarge.Error()}
		}
		return 0, nil, &sendError{err: errors.New(scrub(err.Error())), unsent: neverSent(err)}
	}
	switch {
	case status >= 200 && status < 300:
		return status, header, c.decode(cl, status, header, body, out, scrub)
	case status >= 300 && status < 400:
		if cl.redirectOK {
			return status, header, nil
		}
		return status, header, &RedirectError{Operation: cl.op, Status: status, Location: safetext.Clip(scrub(safetext.Sanitize(redactLocation(header.Get("Location")))), 300)}
	}
	apiErr := parseAPIError(cl.op, status, header, body, scrub)
	apiErr.ClientAuth = cl.auth != authNone && !c.usesBearer(cl)
	apiErr.RetryAfter, apiErr.retryAsked = retryAfter(header, time.Now())
	return status, header, apiErr
}

// failure is the error the caller sees when the client stops after attempts
// attempts with err: a lost connection becomes a TransportError, and a
// delete's 404 after an ambiguous attempt is marked as likely done.
func (c *Client) failure(cl *operation, p policy, err error, attempts int, reached bool) error {
	var send *sendError
	if errors.As(err, &send) {
		return &TransportError{Operation: cl.op, Attempts: attempts, Err: send.err}
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && p.ambiguous == reportLikelyDone && reached && apiErr.Status == http.StatusNotFound {
		apiErr.AfterAmbiguousAttempt = true
	}
	return err
}

// attempt sends one HTTP request and reads the whole body through the cap.
func (c *Client) attempt(ctx context.Context, cl *operation) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBodyBytes+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the %d response: %w", resp.StatusCode, err)
	}
	if int64(len(body)) > c.cfg.MaxBodyBytes {
		return 0, nil, nil, &bodyTooLargeError{limit: c.cfg.MaxBodyBytes, status: resp.StatusCode}
	}
	return resp.StatusCode, resp.Header, body, nil
}

type bodyTooLargeError struct {
	limit  int64
	status int
}

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("the %d response body is larger than the %d byte limit", e.status, e.limit)
}

// The credentials an operation may find missing. Their errors say only
// what is missing: where a credential comes from (the environment, the
// caller's bearer, an argument) is for the program to say.
var (
	// ErrNoClientAuth: a token or introspection call has no OAuth client to
	// authenticate as (no client_id given, none configured).
	ErrNoClientAuth = errors.New("no OAuth client authentication")
	// ErrNoCredential: an account call has no credential at all.
	ErrNoCredential = errors.New("no Telnyx credential")
)

// credentialError is a missing or unobtainable credential: no request of
// the operation itself was sent.
type credentialError struct {
	msg string
	err error // ErrNoClientAuth, ErrNoCredential, or nil
}

func (e *credentialError) Error() string { return e.msg }
func (e *credentialError) Unwrap() error { return e.err }

// IsCredentialError reports whether err says a credential is missing or
// could not be obtained.
func IsCredentialError(err error) bool {
	var ce *credentialError
	return errors.As(err, &ce)
}

func (c *Client) newRequest(ctx context.Context, cl *operation) (*http.Request, error) {
	u := c.endpoint(cl.atRoot, cl.path...)
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	var body io.Reader
	contentType := ""
	switch {
	case cl.formBody != nil:
		body = strings.NewReader(cl.formBody.Encode())
		contentType = "application/x-www-form-urlencoded"
	case cl.jsonBody != nil:
		b, err := json.Marshal(cl.jsonBody)
		if err != nil {
			return nil, fmt.Errorf("%s: encoding the request: %w", cl.op, err)
		}
		body = bytes.NewReader(b)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: building the request: %w", cl.op, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	accept := cl.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if err := c.authorize(ctx, req, cl); err != nil {
		return nil, err
	}
	return req, nil
}

// endpoint builds the URL of a path under the API base or the host root.
// Every segment is escaped; callers validate ids before they get here.
func (c *Client) endpoint(atRoot bool, segments ...string) *url.URL {
	base := c.base
	if atRoot {
		base = c.root
	}
	u := *base
	var raw, plain strings.Builder
	raw.WriteString(base.EscapedPath())
	plain.WriteString(base.Path)
	for _, s := range segments {
		raw.WriteByte('/')
		raw.WriteString(url.PathEscape(s))
		plain.WriteByte('/')
		plain.WriteString(s)
	}
	u.Path = plain.String()
	u.RawPath = raw.String()
	return &u
}

func (c *Client) usesBearer(cl *operation) bool {
	return cl.auth == authBearer || (cl.auth == authClientOrBearer && !c.hasClientAuth(cl.clientAuth))
}

func (c *Client) hasClientAuth(a ClientAuth) bool {
	return a.ClientID != "" || c.HasClientCredentials()
}

func (c *Client) authorize(ctx context.Context, req *http.Request, cl *operation) error {
	switch cl.auth {
	case authNone:
		return nil
	case authClient, authClientOrBearer:
		a := cl.clientAuth
		if a.ClientID == "" && c.HasClientCredentials() {
			a = ClientAuth{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret}
		}
		switch {
		case a.ClientID != "" && a.ClientSecret != "":
			req.SetBasicAuth(a.ClientID, a.ClientSecret)
			return nil
		case a.ClientID != "":
			// A public client names itself in the form body (set by the
			// operation); there is no secret to send.
			return nil
		case cl.auth == authClient:
			return &credentialError{msg: cl.op + ": " + ErrNoClientAuth.Error(), err: ErrNoClientAuth}
		}
	}
	token, err := c.bearer(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return nil
}

// bearer returns the API key, or a client-credentials access token.
func (c *Client) bearer(ctx context.Context) (string, error) {
	if c.cfg.APIKey != "" {
		return c.cfg.APIKey, nil
	}
	if c.tokens != nil {
		return c.tokens.token(ctx)
	}
	if c.cfg.Bearer != nil {
		token, err := c.cfg.Bearer.Token(ctx)
		if err != nil {
			return "", &credentialError{msg: err.Error()}
		}
		return token, nil
	}
	return "", &credentialError{msg: ErrNoCredential.Error(), err: ErrNoCredential}
}

// decode reads a 2xx answer into out.
func (c *Client) decode(cl *operation, status int, header http.Header, body []byte, out any, scrub func(string) string) error {
	respErr := func(reason string) error {
		if cl.secretAnswer {
			body = nil
		}
		return &ResponseError{
			Operation:   cl.op,
			Status:      status,
			RequestID:   requestID(header),
			ContentType: safetext.Clip(safetext.Sanitize(header.Get("Content-Type")), 100),
			Excerpt:     excerpt(header.Get("Content-Type"), body, scrub),
			Reason:      reason,
		}
	}
	if cl.noContent {
		return nil
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return respErr("empty body where a JSON object was expected")
	}
	mediaType, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json") {
		return respErr("not JSON")
	}
	var err error
	if cl.envelope {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err = json.Unmarshal(body, &env); err == nil {
			if len(env.Data) == 0 || string(env.Data) == "null" {
				return respErr(`no "data" member`)
			}
			err = json.Unmarshal(env.Data, out)
		}
	} else {
		err = json.Unmarshal(body, out)
	}
	if err != nil {
		var syntaxErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return respErr(fmt.Sprintf("field %q has the wrong type", typeErr.Field))
		case errors.As(err, &syntaxErr) || errors.Is(err, io.ErrUnexpectedEOF):
			return respErr("malformed or truncated JSON")
		default:
			return respErr("malformed JSON")
		}
	}
	return nil
}

// scrubber removes every credential the call could carry from a text.
// Upstream error bodies sometimes echo request headers back.
func (c *Client) scrubber(cl *operation) func(string) string {
	secrets := make([]string, 0, 4+len(cl.secrets))
	for _, s := range []string{c.cfg.APIKey, c.cfg.ClientSecret, cl.clientAuth.ClientSecret} {
		if len(s) >= 4 {
			secrets = append(secrets, s)
		}
	}
	// An upstream that echoes the Authorization header echoes HTTP Basic
	// credentials base64-encoded, which hides the secret from the list above.
	for _, a := range []ClientAuth{cl.clientAuth, {ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret}} {
		if a.ClientID != "" && a.ClientSecret != "" {
			secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(a.ClientID+":"+a.ClientSecret)))
		}
	}
	if c.tokens != nil {
		if t := c.tokens.current(); len(t) >= 4 {
			secrets = append(secrets, t)
		}
	}
	for _, s := range cl.secrets {
		if len(s) >= 4 {
			secrets = append(secrets, s)
		}
	}
	return func(s string) string {
		for _, secret := range secrets {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
		// The client-credentials token may have been fetched (or
		// replaced) while the call ran, after the list above was made.
		if c.tokens != nil {
			if t := c.tokens.current(); len(t) >= 4 {
				s = strings.ReplaceAll(s, t, "[redacted]")
			}
		}
		if src, ok := c.cfg.Bearer.(interface{ Current() string }); ok {
			if t := src.Current(); len(t) >= 4 {
				s = strings.ReplaceAll(s, t, "[redacted]")
			}
		}
		return s
	}
}

func (c *Client) backoff(retry int) time.Duration {
	d := c.cfg.Backoff << retry
	if d > 8*time.Second || d <= 0 {
		d = 8 * time.Second
	}
	jitter := time.Duration(rand.Int64N(int64(d)/4 + 1))
	return d - jitter
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func fitsDeadline(ctx context.Context, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > wait
}

// retryAfter reads Retry-After-Ms, then Retry-After (seconds or an HTTP
// date). Garbage and negative values count as absent; a date in the past is
// a zero wait.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < 1e12 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs >= 0 && secs <= 1e9) { // also NaN
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// redactLocation masks the secret parameters, in the query or the
// fragment, of a redirect target that goes into an error.
func redactLocation(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "[unparseable URL]"
	}
	safetext.MaskURLParams(u, func(string) string { return "[redacted]" })
	return u.String()
}
