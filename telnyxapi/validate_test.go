package telnyxapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPathValuePatternIsTheRule: the JSON Schema pattern the tools
// advertise accepts exactly what CheckPathValue accepts.
func TestPathValuePatternIsTheRule(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(PathValuePattern)
	for _, v := range []string{"a", "a.b", "a..b", ".a", "a.", "...", "a~b_c-d", "a;b", "é", "a b", "eyJ.abc.def", "-", "~.~"} {
		assert.Equal(t, CheckPathValue("id", v, MaxIDLength) == nil, re.MatchString(v), "value %q", v)
	}
}

func TestCheckPathValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		max   int
		ok    bool
	}{
		{name: "uuid", value: "9a3c1f2e-7b4d-4c1a-9e2f-0d8b6a5c4e3f", max: MaxIDLength, ok: true},
		{name: "short id", value: "abc123def456", max: MaxIDLength, ok: true},
		{name: "jwt with dots", value: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", max: MaxTokenLength, ok: true},
		{name: "tilde and underscore", value: "a~b_c", max: MaxIDLength, ok: true},
		{name: "real JWT consent token", value: "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRfaWQiOiJhYmMiLCJzY29wZSI6ImFkbWluIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", max: MaxTokenLength, ok: true},
		{name: "three dots", value: "...", max: MaxIDLength},
		{name: "leading dot", value: ".a", max: MaxIDLength},
		{name: "trailing dot", value: "a.", max: MaxIDLength},
		{name: "two dots inside", value: "a..b", max: MaxIDLength},
		{name: "dot dot semicolon", value: "..;", max: MaxIDLength},
		{name: "dot semicolon", value: ".;", max: MaxIDLength},
		{name: "semicolon", value: "a;b", max: MaxIDLength},
		{name: "division slash U+2215", value: "a∕b", max: MaxIDLength},
		{name: "fullwidth solidus U+FF0F", value: "a／b", max: MaxIDLength},
		{name: "two one-dot leaders U+2024", value: "․․", max: MaxIDLength},
		{name: "two fullwidth full stops U+FF0E", value: "．．", max: MaxIDLength},
		{name: "colon", value: "a:b", max: MaxIDLength},
		{name: "at", value: "a@b", max: MaxIDLength},
		{name: "non-ASCII letter", value: "é", max: MaxIDLength},
		{name: "exactly the limit", value: strings.Repeat("a", MaxIDLength), max: MaxIDLength, ok: true},
		{name: "one over the limit", value: strings.Repeat("a", MaxIDLength+1), max: MaxIDLength},
		{name: "empty", value: "", max: MaxIDLength},
		{name: "dot", value: ".", max: MaxIDLength},
		{name: "dot dot", value: "..", max: MaxIDLength},
		{name: "traversal", value: "../x", max: MaxIDLength},
		{name: "slash", value: "a/b", max: MaxIDLength},
		{name: "query", value: "a?b=c", max: MaxIDLength},
		{name: "fragment", value: "a#b", max: MaxIDLength},
		{name: "percent", value: "%2e%2e", max: MaxIDLength},
		{name: "backslash", value: `a\b`, max: MaxIDLength},
		{name: "space", value: "a b", max: MaxIDLength},
		{name: "tab", value: "a\tb", max: MaxIDLength},
		{name: "NUL", value: "a\x00b", max: MaxIDLength},
		{name: "newline", value: "a\nb", max: MaxIDLength},
		{name: "DEL", value: "a\x7fb", max: MaxIDLength},
		{name: "C1 control", value: "a\u0085b", max: MaxIDLength},
		{name: "no-break space", value: "a\u00a0b", max: MaxIDLength},
		{name: "zero width space", value: "a\u200bb", max: MaxIDLength},
		{name: "bidi override", value: "a\u202eb", max: MaxIDLength},
		{name: "tag character", value: "a\U000E0041b", max: MaxIDLength},
		{name: "BOM", value: "\ufeffabc", max: MaxIDLength},
		{name: "invalid UTF-8", value: "a\xffb", max: MaxIDLength},
		{name: "replacement character", value: "a\ufffdb", max: MaxIDLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPathValue("id", tc.value, tc.max)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			var invalid *InvalidArgumentError
			require.ErrorAs(t, err, &invalid)
			assert.Equal(t, "id", invalid.Field)
			assert.NotEmpty(t, invalid.Reason)
		})
	}
}

// idOp is one operation that puts a caller's value into the URL path.
type idOp struct {
	name   string
	maxLen int
	call   func(ctx context.Context, c *Client, id string) error
}

var idOps = []idOp{
	{"GetClient", MaxIDLength, func(ctx context.Context, c *Client, id string) error { _, err := c.GetClient(ctx, id); return err }},
	{"UpdateClient", MaxIDLength, func(ctx context.Context, c *Client, id string) error {
		name := "n"
		_, err := c.UpdateClient(ctx, id, UpdateClientRequest{Name: &name})
		return err
	}},
	{"DeleteClient", MaxIDLength, func(ctx context.Context, c *Client, id string) error { return c.DeleteClient(ctx, id) }},
	{"GetGrant", MaxIDLength, func(ctx context.Context, c *Client, id string) error { _, err := c.GetGrant(ctx, id); return err }},
	{"RevokeGrant", MaxIDLength, func(ctx context.Context, c *Client, id string) error { _, err := c.RevokeGrant(ctx, id); return err }},
	{"GetConsent", MaxTokenLength, func(ctx context.Context, c *Client, id string) error { _, err := c.GetConsent(ctx, id); return err }},
}

func TestPathValuesRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	hostile := []string{"../x", ".", "..", "a/b", "a?b=c", "a#b", "%2e%2e", `a\b`, "a b", "a\x00b", "a\nb", "", "a\u202eb",
		"..;", ".;", "a\u2215b", "a\uff0fb", "\u2024\u2024", "\uff0e\uff0e"}
	for _, op := range idOps {
		values := append(append([]string(nil), hostile...), strings.Repeat("a", 1000))
		if op.maxLen >= 1000 {
			// Consent tokens may be long JWTs: 1,000 characters is fine
			// for them, the refusal starts past MaxTokenLength.
			values[len(values)-1] = strings.Repeat("a", op.maxLen+1)
		}
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{})
			c := newClient(t, f.base(), nil)
			for _, v := range values {
				err := op.call(t.Context(), c, v)
				var invalid *InvalidArgumentError
				assert.ErrorAs(t, err, &invalid, "value %q", v)
			}
			assert.Equal(t, 0, f.count(), "no request may reach the server")
		})
	}
}

func TestConsentTokenWithDotsStaysOneSegment(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /v2/oauth/consent/eyJ.abc.def": respond(200, `{"data":{"client_id":"cid"}}`),
	})
	c := newClient(t, f.base(), nil)
	_, err := c.GetConsent(t.Context(), "eyJ.abc.def")
	require.NoError(t, err)
	assert.Equal(t, "/v2/oauth/consent/eyJ.abc.def", f.only(t).Path)
}

// TestPathValuesReachThePathUnchanged: every character the rule allows is
// unreserved in RFC 3986, so an allowed id is its own path segment.
func TestPathValuesReachThePathUnchanged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id       string
		wantPath string
	}{
		{id: "9a3c1f2e-7b4d-4c1a-9e2f-0d8b6a5c4e3f", wantPath: "/v2/oauth_clients/9a3c1f2e-7b4d-4c1a-9e2f-0d8b6a5c4e3f"},
		{id: "a~b_c.d", wantPath: "/v2/oauth_clients/a~b_c.d"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"GET " + tc.wantPath: respond(200, `{"data":{"client_id":"x"}}`)})
			c := newClient(t, f.base(), nil)
			_, err := c.GetClient(t.Context(), tc.id)
			require.NoError(t, err)
			assert.Equal(t, tc.wantPath, f.only(t).Path)
		})
	}
}

// recordingTransport answers every request with an empty client and keeps
// the URLs it was asked for; no network is involved.
type recordingTransport struct {
	mu   sync.Mutex
	urls []*url.URL
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	u := *req.URL
	rt.urls = append(rt.urls, &u)
	rt.mu.Unlock()
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"data":{"client_id":"x"}}`)),
		Request:    req,
	}, nil
}

func FuzzCheckPathValue(f *testing.F) {
	for _, seed := range []string{"c-1", "eyJ.abc.def", "...", "a:b@c", "a;b,c", "é", "../x", "a/b", "%2e%2e", "a b", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		rt := &recordingTransport{}
		c, err := New(Config{BaseURL: "http://127.0.0.1:9/v2", APIKey: "k", Transport: rt, MaxRetries: -1})
		require.NoError(t, err)
		_, callErr := c.GetClient(context.Background(), v)
		if CheckPathValue("client_id", v, MaxIDLength) != nil {
			var invalid *InvalidArgumentError
			require.ErrorAs(t, callErr, &invalid)
			require.Empty(t, rt.urls, "a refused value must send nothing")
			return
		}
		require.NoError(t, callErr)
		require.Len(t, rt.urls, 1)
		want := "/v2/oauth_clients/" + url.PathEscape(v)
		got := rt.urls[0]
		require.Equal(t, want, got.EscapedPath())
		require.Equal(t, want, got.RequestURI(), "the request line carries no query")
		require.Empty(t, got.RawQuery)
		require.Empty(t, got.Fragment)
		require.False(t, got.ForceQuery)

		// What goes on the wire, parsed again, is the same one segment.
		again, err := url.Parse(got.String())
		require.NoError(t, err)
		require.Equal(t, want, again.EscapedPath())
		require.Empty(t, again.RawQuery)
		require.Empty(t, again.Fragment)
		segment, ok := strings.CutPrefix(again.EscapedPath(), "/v2/oauth_clients/")
		require.True(t, ok)
		require.NotContains(t, segment, "/")
		require.NotEqual(t, ".", segment)
		require.NotEqual(t, "..", segment)
		decoded, err := url.PathUnescape(segment)
		require.NoError(t, err)
		require.Equal(t, v, decoded)
	})
}
