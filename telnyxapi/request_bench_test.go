package telnyxapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Benchmarks of the request core: building a request (URL, query, body,
// headers, credential) and a whole operation over a transport that answers
// at once, so that only the client's own work is timed. CI runs them once
// (-benchtime=1x) to prove they run.

// cannedTransport answers every request with the same response.
type cannedTransport struct {
	status int
	body   []byte
}

func (c *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: c.status, Request: req, ContentLength: int64(len(c.body)),
		Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-bench"}},
		Body:   io.NopCloser(bytes.NewReader(c.body)),
	}, nil
}

const benchClientJSON = `{"record_type":"oauth_client","client_id":"5eed0003-0000-4000-8000-00000000c003","name":"Sandbox demo client",` +
	`"org_id":"0f0e0d0c-0000-4000-8000-00000000a11c","user_id":"0f0e0d0c-0000-4000-8000-0000000000b0","client_type":"confidential",` +
	`"require_pkce":false,"allowed_grant_types":["client_credentials","authorization_code","refresh_token"],` +
	`"allowed_scopes":["admin","numbers.read","numbers.write","messaging.read"],"redirect_uris":["http://127.0.0.1:8976/callback"],` +
	`"created_at":"2025-10-24T08:54:57Z","updated_at":"2025-10-24T08:54:57Z"}`

func benchClient(b *testing.B, body string) *Client {
	b.Helper()
	c, err := New(Config{BaseURL: "https://api.telnyx.com/v2", APIKey: testKey, UserAgent: testUA,
		Transport: &cannedTransport{status: http.StatusOK, body: []byte(body)}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkNewRequest is request building alone.
func BenchmarkNewRequest(b *testing.B) {
	c := benchClient(b, "{}")
	ctx := context.Background()
	b.Run("list with filters", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q := url.Values{}
			PageParams{Number: 2, Size: 50}.encode(q)
			q.Set("filter[client_type]", "public")
			q.Set("filter[name][contains]", "demo")
			req, err := c.newRequest(ctx, &operation{op: "ListOAuthClients", method: "GET", path: []string{"oauth_clients"}, query: q, auth: authBearer})
			if err != nil || req == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("create with a JSON body", func(b *testing.B) {
		body := CreateClientRequest{Name: "Billing app", ClientType: "confidential", AllowedScopes: []string{"numbers.read", "messaging.read"},
			AllowedGrantTypes: []string{"authorization_code", "refresh_token"}, RedirectURIs: []string{"https://app.example.com/callback"}}
		b.ReportAllocs()
		for b.Loop() {
			req, err := c.newRequest(ctx, &operation{op: "CreateOAuthClient", method: "POST", path: []string{"oauth_clients"}, jsonBody: body, auth: authBearer, envelope: true})
			if err != nil || req == nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOperation is a whole operation against the canned transport:
// build, send, read through the cap, check and decode.
func BenchmarkOperation(b *testing.B) {
	ctx := context.Background()
	b.Run("ListClients", func(b *testing.B) {
		page := `{"data":[` + strings.Repeat(benchClientJSON+",", 19) + benchClientJSON + `],"meta":{"page_number":1,"page_size":20,"total_pages":3,"total_results":55}}`
		c := benchClient(b, page)
		b.ReportAllocs()
		for b.Loop() {
			list, err := c.ListClients(ctx, ListClientsParams{})
			if err != nil || len(list.Data) != 20 {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetClient", func(b *testing.B) {
		c := benchClient(b, `{"data":`+benchClientJSON+`}`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.GetClient(ctx, "5eed0003-0000-4000-8000-00000000c003"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
