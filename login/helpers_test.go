package login

// The harness of this package's tests: a rig per test (a fake Telnyx on
// 127.0.0.1, a credential store, the commands' output checked for secrets),
// a fake browser that plays the user's side of the login, and the
// commands run as the binary runs them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zalando/go-keyring"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// keyCanary is the fake's API key: the "user" approving consent in the
// browser, and the key login --api-key stores. It must never be printed.
const keyCanary = "KEYCANARY-login-5f0c1d2e3a4b"

// testTimeout bounds every wait in these tests.
const testTimeout = 20 * time.Second

func TestMain(m *testing.M) {
	// go-keyring's in-memory provider stands in for the OS keychain. It is
	// process-wide, so tests keep apart by using a service name each.
	keyring.MockInit()
	os.Exit(m.Run())
}

// syncBuffer collects a command's output; the browser goroutine writes too.
type syncBuffer = testkit.Buffer

// noKeychain is what go-keyring answers on a Linux box without a Secret
// Service: every call fails.
type noKeychain struct{}

var errNoKeychain = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

func (noKeychain) Get(string, string) (string, error) { return "", errNoKeychain }
func (noKeychain) Set(string, string, string) error   { return errNoKeychain }
func (noKeychain) Delete(string, string) error        { return errNoKeychain }

var serviceSeq atomic.Int64

// rig is one test's world: a fake Telnyx on 127.0.0.1, a credential store
// (the mock keychain, or no keychain and the file), and every byte the
// commands print, which is checked for secrets when the test ends.
type rig struct {
	t      *testing.T
	fake   *faultinject.Server
	store  *credstore.Store
	env    map[string]string
	stdout syncBuffer
	stderr syncBuffer
	logs   syncBuffer // the tool layer's slog output

	mu    sync.Mutex
	extra []string // more outputs to check for secrets: tool results
}

func (r *rig) record(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.extra = append(r.extra, text)
}

func newRig(t *testing.T, keychain bool) *rig {
	t.Helper()
	fake, err := faultinject.Listen(telnyxfake.Options{APIKey: keyCanary})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fake.Close() })
	r := &rig{t: t, fake: fake, env: map[string]string{}}
	r.store = &credstore.Store{
		Service: fmt.Sprintf("telnyx-oauth-mcp-test-%d", serviceSeq.Add(1)),
		Dir:     filepath.Join(t.TempDir(), "telnyx-oauth-mcp"), // created by the store
	}
	if !keychain {
		r.store.Keyring = noKeychain{}
	}
	t.Cleanup(r.checkNoSecretsPrinted)
	return r
}

func (r *rig) opts(b *fakeBrowser) Options {
	o := Options{BaseURL: r.fake.BaseURL, Getenv: func(k string) string { return r.env[k] }, Version: "test", Store: r.store}
	if b != nil {
		o.OpenBrowser = b.open
	}
	return o
}

// login runs `login args...` with b as the browser and returns the exit
// status once the browser has finished too.
func (r *rig) login(b *fakeBrowser, args ...string) int {
	r.t.Helper()
	return r.loginWith(r.opts(b), b, args...)
}

func (r *rig) loginWith(o Options, b *fakeBrowser, args ...string) int {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	code := Run(ctx, o, append([]string{"--timeout", "15s"}, args...), strings.NewReader(""), &r.stdout, &r.stderr)
	if b != nil {
		select {
		case err := <-b.done:
			require.NoError(r.t, err, "the browser")
		case <-time.After(testTimeout):
			r.t.Fatal("the browser never finished")
		}
	}
	return code
}

// stored returns what the store holds for the fake, or nil.
func (r *rig) stored() (*credstore.Credential, credstore.Location) {
	r.t.Helper()
	c, loc, err := r.store.Load(r.fake.BaseURL)
	require.NoError(r.t, err)
	return c, loc
}

// assertNothingStored checks both places: no keychain entry, no file.
func (r *rig) assertNothingStored() {
	r.t.Helper()
	c, _ := r.stored()
	assert.Nil(r.t, c, "a credential was stored")
	_, err := os.Stat(r.store.FilePath())
	assert.ErrorIs(r.t, err, os.ErrNotExist, "the credentials file exists")
}

// secrets lists every secret that crossed the wire in this test: the API
// key, bearer tokens, codes, verifiers and refresh tokens the fake saw,
// and whatever the store holds now.
func (r *rig) secrets() []string {
	out := []string{keyCanary}
	for _, req := range r.fake.Requests() {
		if _, tok, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
			out = append(out, tok)
		}
		if form, err := url.ParseQuery(string(req.Body)); err == nil {
			for _, k := range []string{"code", "code_verifier", "refresh_token", "token"} {
				out = append(out, form.Get(k))
			}
		}
		var body map[string]any
		if json.Unmarshal(req.Body, &body) == nil {
			if ct, ok := body["consent_token"].(string); ok {
				out = append(out, ct)
			}
		}
	}
	if c, _, err := r.store.Load(r.fake.BaseURL); err == nil && c != nil {
		out = append(out, c.AccessToken, c.RefreshToken, c.APIKey)
	}
	var nonEmpty []string
	for _, s := range out {
		if len(s) >= 8 {
			nonEmpty = append(nonEmpty, s)
		}
	}
	return nonEmpty
}

// checkNoSecretsPrinted: no secret in anything printed, logged or shown to
// the model during the test.
func (r *rig) checkNoSecretsPrinted() {
	outputs := map[string]string{"stdout": r.stdout.String(), "stderr": r.stderr.String(), "logs": r.logs.String()}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range r.extra {
		outputs[fmt.Sprintf("output %d", i)] = e
	}
	for _, secret := range r.secrets() {
		for name, text := range outputs {
			assert.NotContains(r.t, text, secret, "a secret (%s) appears in %s", safetext.Mask(secret), name)
		}
	}
}

// fakeBrowser plays the user's browser: it follows the authorize redirect
// to the consent page, reads the consent token, records the decision the
// way the Telnyx portal does (POST /oauth/grants with the user's
// credential), then follows the redirect back to the loopback listener.
type fakeBrowser struct {
	t     *testing.T
	fake  *faultinject.Server
	allow bool
	// mangle rewrites the redirect back to the listener (a wrong state).
	mangle func(string) string
	done   chan error

	mu       sync.Mutex
	authURL  string
	callback string
	status   int
}

func newBrowser(r *rig, allow bool) *fakeBrowser {
	return &fakeBrowser{t: r.t, fake: r.fake, allow: allow, done: make(chan error, 1)}
}

var noRedirects = &http.Client{
	Timeout:       testTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (b *fakeBrowser) open(authURL string) error {
	err := b.visit(authURL)
	b.done <- err
	return err
}

func (b *fakeBrowser) visit(authURL string) error {
	b.mu.Lock()
	b.authURL = authURL
	b.mu.Unlock()
	resp, err := noRedirects.Get(authURL)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("authorize answered %d, not 302", resp.StatusCode)
	}
	consentPage, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	page, err := noRedirects.Get(consentPage.String())
	if err != nil {
		return err
	}
	_ = page.Body.Close()
	if page.StatusCode != http.StatusOK {
		return fmt.Errorf("the consent page answered %d", page.StatusCode)
	}
	token := consentPage.Query().Get("consent_token")
	if token == "" {
		return errors.New("no consent_token on the consent page URL")
	}
	user, err := telnyxapi.New(telnyxapi.Config{BaseURL: b.fake.BaseURL, APIKey: keyCanary})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	decision, err := user.SubmitConsent(ctx, token, b.allow)
	if err != nil {
		return err
	}
	back := decision.RedirectURI
	if b.mangle != nil {
		back = b.mangle(back)
	}
	b.mu.Lock()
	b.callback = back
	b.mu.Unlock()
	cb, err := noRedirects.Get(back)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, cb.Body)
	_ = cb.Body.Close()
	b.mu.Lock()
	b.status = cb.StatusCode
	b.mu.Unlock()
	return nil
}

func (b *fakeBrowser) callbackURL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.callback
}

func (b *fakeBrowser) callbackStatus() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status
}

// toolClient serves the production tool set over mcp-go's in-process
// transport with api as the Telnyx client, as main does.
func (r *rig) toolClient(api *telnyxapi.Client) *client.Client {
	r.t.Helper()
	deps := tools.Deps{
		Client:  func(context.Context) (*telnyxapi.Client, error) { return api, nil },
		Confirm: tools.NewConfirmer(true, nil),
		Secrets: tools.SecretsRedact,
		Logger:  slog.New(slog.NewTextHandler(&r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	selected, err := tools.Select(tools.All(deps), tools.Selection{})
	require.NoError(r.t, err)
	c, err := client.NewInProcessClient(tools.NewServer("test", selected))
	require.NoError(r.t, err)
	r.t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(r.t, c.Start(ctx))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "login-test", Version: "test"}
	_, err = c.Initialize(ctx, init)
	require.NoError(r.t, err)
	return c
}

// callTool calls a tool and returns its result text.
func (r *rig) callTool(c *client.Client, name string, args map[string]any) (string, bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	require.NoError(r.t, err)
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	text := strings.Join(parts, "\n")
	r.record(text)
	return text, res.IsError
}

// bearers returns the bearer tokens of the fake's requests for op.
func (r *rig) bearers(op string) []string {
	var out []string
	for _, req := range r.fake.RequestsFor(op) {
		out = append(out, strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
	}
	return out
}

// tokenForms returns the form bodies of the fake's token requests with the
// given grant type.
func (r *rig) tokenForms(grantType string) []url.Values {
	var out []url.Values
	for _, req := range r.fake.RequestsFor(telnyxfake.OpToken) {
		form, err := url.ParseQuery(string(req.Body))
		require.NoError(r.t, err)
		if form.Get("grant_type") == grantType {
			out = append(out, form)
		}
	}
	return out
}

func (r *rig) run(cmd func(context.Context, Options, []string, *syncBuffer, *syncBuffer) int, args ...string) int {
	return cmd(context.Background(), r.opts(nil), args, &r.stdout, &r.stderr)
}

func status(ctx context.Context, o Options, args []string, stdout, stderr *syncBuffer) int {
	return RunStatus(ctx, o, args, stdout, stderr)
}

func logout(ctx context.Context, o Options, args []string, stdout, stderr *syncBuffer) int {
	return RunLogout(ctx, o, args, stdout, stderr)
}

func (r *rig) loginAPIKey(stdin string, args ...string) int {
	return Run(context.Background(), r.opts(nil), append([]string{"--api-key"}, args...), strings.NewReader(stdin), &r.stdout, &r.stderr)
}

// loggedIn logs in through the browser flow and returns the stored login.
func loggedIn(t *testing.T, keychain bool) (*rig, *credstore.Credential) {
	t.Helper()
	r := newRig(t, keychain)
	require.Equal(t, 0, r.login(newBrowser(r, true)), r.stderr.String())
	c, _ := r.stored()
	require.NotNil(t, c)
	return r, c
}

// expire rewrites the stored login as if its access token had run out.
func (r *rig) expire() {
	r.t.Helper()
	c, _ := r.stored()
	require.NotNil(r.t, c)
	c.Expiry = time.Now().Add(-time.Minute)
	_, err := r.store.Save(c)
	require.NoError(r.t, err)
}

// serverClient builds the telnyxapi client the way main does for a stored
// login: no API key, the stored credential's source as the bearer.
func (r *rig) serverClient() *telnyxapi.Client {
	r.t.Helper()
	stored, err := loadStored(r.store, telnyxapi.Config{BaseURL: r.fake.BaseURL}, &r.stderr)
	require.NoError(r.t, err)
	require.NotNil(r.t, stored)
	api, err := telnyxapi.New(telnyxapi.Config{BaseURL: r.fake.BaseURL, Bearer: stored.Bearer})
	require.NoError(r.t, err)
	return api
}
