package tools

import (
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Benchmarks of the per-call hot paths inside a tool handler. CI runs them
// once (-benchtime=1x) to prove they run; `go test -run='^$' -bench=.
// ./tools` times them.

// BenchmarkArguments is the argument stage of every call: the advertised
// schema's rules, strict decoding into the input struct, and the input's
// own rules.
func BenchmarkArguments(b *testing.B) {
	b.Run("list_oauth_clients", func(b *testing.B) {
		benchArguments[ListClientsInput](b, `{"page_size":50,"client_type":"public","name_contains":"demo","verified":true}`)
	})
	b.Run("create_oauth_client", func(b *testing.B) {
		benchArguments[CreateClientInput](b, `{"name":"Billing app","client_type":"confidential",`+
			`"allowed_scopes":["numbers.read","messaging.read"],"allowed_grant_types":["authorization_code","refresh_token"],`+
			`"redirect_uris":["https://app.example.com/callback","http://127.0.0.1:8976/callback"],"require_pkce":true,`+
			`"logo_uri":"https://app.example.com/logo.png"}`)
	})
	b.Run("invalid", func(b *testing.B) {
		v := newArgValidator(schemaOf(inputRole, reflect.TypeFor[ListClientsInput]()))
		raw := []byte(`{"page_size":500,"client_type":"secret","headers":{}}`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeArguments[ListClientsInput](v, raw); err == nil {
				b.Fatal("invalid arguments accepted")
			}
		}
	})
}

func benchArguments[In any](b *testing.B, args string) {
	v := newArgValidator(schemaOf(inputRole, reflect.TypeFor[In]()))
	raw := []byte(args)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeArguments[In](v, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStructuredResult is the result stage: sanitizing every string,
// then the JSON that becomes both structuredContent and the text content,
// for a page of 20 clients.
func BenchmarkStructuredResult(b *testing.B) {
	page := samplePage()
	for _, policy := range []SecretsPolicy{SecretsShow, SecretsRedact} {
		b.Run(string(policy), func(b *testing.B) {
			d := Deps{Secrets: policy}
			b.ReportAllocs()
			for b.Loop() {
				out := &ListClientsOutput{Clients: clonePage(page), Meta: telnyxapi.PaginationMeta{PageNumber: 1, PageSize: 20, TotalPages: 3, TotalResults: 55}, HasMore: true}
				if res := d.structured(out); res.IsError {
					b.Fatal(res.Content)
				}
			}
		})
	}
}

// BenchmarkStructuredResponse is a structured result as mcp-go writes it
// in a JSON-RPC response: "value" as Deps.structured returns it (the
// shaped value as structuredContent), "json" with the same JSON as a
// json.RawMessage instead, which encoding/json validates again.
func BenchmarkStructuredResponse(b *testing.B) {
	page := samplePage()
	for _, form := range []string{"value", "json"} {
		b.Run(form, func(b *testing.B) {
			d := Deps{Secrets: SecretsShow}
			b.ReportAllocs()
			for b.Loop() {
				res := d.structured(&ListClientsOutput{Clients: clonePage(page), Meta: telnyxapi.PaginationMeta{PageNumber: 1, PageSize: 20}})
				if form == "json" {
					res.StructuredContent = json.RawMessage(res.Content[0].(mcp.TextContent).Text)
				}
				if err := json.NewEncoder(io.Discard).Encode(mcp.JSONRPCResponse{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(1), Result: *res}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// samplePage is a page of 20 clients, each with a secret and a zero-width
// character to remove.
func samplePage() []telnyxapi.OAuthClient {
	secret := "s3cr3t-0123456789"
	page := make([]telnyxapi.OAuthClient, 20)
	for i := range page {
		page[i] = telnyxapi.OAuthClient{
			RecordType: "oauth_client", ClientID: "5eed0003-0000-4000-8000-00000000c003", Name: "Sandbox demo client \u200b",
			OrgID: "0f0e0d0c-0000-4000-8000-00000000a11c", UserID: "0f0e0d0c-0000-4000-8000-0000000000b0", ClientType: "confidential",
			AllowedGrantTypes: []string{"client_credentials", "authorization_code", "refresh_token"},
			AllowedScopes:     []string{"admin", "numbers.read", "numbers.write", "messaging.read"},
			RedirectURIs:      []string{"http://127.0.0.1:8976/callback"}, ClientSecret: &secret,
			CreatedAt: "2025-10-24T08:54:57Z", UpdatedAt: "2025-10-24T08:54:57Z",
		}
	}
	return page
}

// clonePage copies the clients so each iteration shapes fresh strings, as a
// call does with a freshly decoded response.
func clonePage(p []telnyxapi.OAuthClient) []telnyxapi.OAuthClient {
	out := make([]telnyxapi.OAuthClient, len(p))
	copy(out, p)
	return out
}

// BenchmarkToolsList is what tools/list costs to encode: every tool's
// definition, as mcp-go marshals it.
func BenchmarkToolsList(b *testing.B) {
	all, err := Select(All(Deps{}), Selection{})
	if err != nil {
		b.Fatal(err)
	}
	defs := make([]mcp.Tool, len(all))
	for i, t := range all {
		defs[i] = t.Definition
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(mcp.ListToolsResult{Tools: defs}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAll is the start-up cost of building every tool definition.
func BenchmarkAll(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = All(Deps{})
	}
}
