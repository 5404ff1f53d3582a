package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// Fuzz targets of the tool layer. Seed corpora live in
// testdata/fuzz/<Name>/; .ci/run fuzzes each for a few seconds, and every
// `go test` runs the seeds. Each target builds one server and one fake per
// process and reuses them: the fake's request log is reset per input.

// fuzzIDTool is an id-taking tool: where the id goes and what it is
// checked against.
type fuzzIDTool struct {
	tool  string
	field string
	op    string
	// prefix is the escaped path before the id; "" when the id travels in
	// the JSON body instead (submit_oauth_consent).
	prefix string
	maxLen int
	extra  map[string]any
}

var fuzzIDTools = []fuzzIDTool{
	{tool: "get_oauth_client", field: "client_id", op: telnyxfake.OpGetClient, prefix: "/v2/oauth_clients/", maxLen: telnyxapi.MaxIDLength},
	{tool: "update_oauth_client", field: "client_id", op: telnyxfake.OpUpdateClient, prefix: "/v2/oauth_clients/", maxLen: telnyxapi.MaxIDLength,
		extra: map[string]any{"name": "renamed"}},
	{tool: "delete_oauth_client", field: "client_id", op: telnyxfake.OpDeleteClient, prefix: "/v2/oauth_clients/", maxLen: telnyxapi.MaxIDLength},
	{tool: "get_oauth_grant", field: "grant_id", op: telnyxfake.OpGetGrant, prefix: "/v2/oauth_grants/", maxLen: telnyxapi.MaxIDLength},
	{tool: "revoke_oauth_grant", field: "grant_id", op: telnyxfake.OpRevokeGrant, prefix: "/v2/oauth_grants/", maxLen: telnyxapi.MaxIDLength},
	{tool: "get_oauth_consent", field: "consent_token", op: telnyxfake.OpGetConsentToken, prefix: "/v2/oauth/consent/", maxLen: telnyxapi.MaxTokenLength},
	{tool: "submit_oauth_consent", field: "consent_token", op: telnyxfake.OpCreateGrant, maxLen: telnyxapi.MaxTokenLength,
		extra: map[string]any{"allowed": false}},
}

// FuzzToolIDs passes any string as a client_id, grant_id or consent_token
// through the tools layer: either the call fails with zero upstream
// requests, or exactly one request goes out, whose escaped path ends in the
// id as exactly one segment (or whose body carries it, for consent), with
// no query. The confirmation gate is off so that an
// accepted id makes exactly one request.
func FuzzToolIDs(f *testing.F) {
	h := newHarness(f, withoutConfirmation())
	f.Fuzz(func(t *testing.T, toolIndex uint8, id string) {
		tc := fuzzIDTools[int(toolIndex)%len(fuzzIDTools)]
		h.fake.ResetRequests()
		args := map[string]any{tc.field: id}
		for k, v := range tc.extra {
			args[k] = v
		}
		if tc.tool == "delete_oauth_client" || tc.tool == "revoke_oauth_grant" || tc.tool == "submit_oauth_consent" {
			args["confirm"] = id
		}
		res := h.callArgs(t, tc.tool, args)
		if strings.Contains(allText(res), h.apiKey) {
			t.Fatal("a result carries the API key")
		}
		// What the server received: JSON turns invalid UTF-8 into U+FFFD.
		b, err := json.Marshal(id)
		require.NoError(t, err)
		var seen string
		require.NoError(t, json.Unmarshal(b, &seen))

		reqs := h.fake.Requests()
		if len(reqs) == 0 {
			require.True(t, res.IsError, "%s(%q): no request was sent, yet no error: %s", tc.tool, id, resultText(res))
			return
		}
		require.Len(t, reqs, 1, "%s(%q): at most one request: %v", tc.tool, id, h.operations())
		require.NoError(t, telnyxapi.CheckPathValue(tc.field, seen, tc.maxLen), "%s(%q) was sent although the path check refuses it", tc.tool, id)
		r := reqs[0]
		require.Equal(t, tc.op, r.Operation)
		require.Empty(t, r.RawQuery, "no query")
		if tc.prefix == "" {
			require.Equal(t, "/v2/oauth/grants", r.RawPath)
			var body map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &body))
			require.Equal(t, seen, body["consent_token"], "the body carries the token unchanged")
			return
		}
		require.Equal(t, tc.prefix+url.PathEscape(seen), r.RawPath, "the escaped path is the prefix and the id as one segment")
		require.Equal(t, tc.prefix+seen, r.Path, "the id unescapes to itself")
		require.Equal(t, strings.Count(tc.prefix, "/"), strings.Count(r.RawPath, "/"), "exactly one segment after the prefix")
	})
}

// fuzzToolNames is every tool name in a fixed order.
var fuzzToolNames = func() []string {
	var names []string
	for name := range toolOps {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}()

// pickTool returns the tool named name, or, for a name the fuzzer mangled,
// one chosen by its hash, so that every input exercises some tool and seed
// files stay meaningful when tools are added.
func pickTool(name string) string {
	if _, ok := toolOps[name]; ok {
		return name
	}
	hash := fnv.New32a()
	_, _ = hash.Write([]byte(name))
	return fuzzToolNames[int(hash.Sum32()%uint32(len(fuzzToolNames)))]
}

// FuzzToolArguments sends arbitrary JSON as any tool's arguments, with the
// confirmation gate on (a client without elicitation), against a fake with
// the demo data: the handler never panics and never makes a protocol
// error, invalid arguments are refused with zero upstream requests, a tool
// only ever sends its own operations, and no result carries the API key.
// Bytes that are not JSON cannot travel in a JSON-RPC message; they go to
// the handler directly, which must cope as well.
func FuzzToolArguments(f *testing.F) {
	h := newHarness(f, seeded(), withAPIConfig(func(c *telnyxapi.Config) {
		c.AttemptTimeout = 5 * time.Second
		c.CallTimeout = 10 * time.Second
	}))
	f.Fuzz(func(t *testing.T, tool string, args []byte) {
		name := pickTool(tool)
		h.fake.ResetRequests()
		logged := len(h.logs.String())
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var res *mcp.CallToolResult
		var err error
		switch {
		case json.Valid(args) && !fitsFloat64(args):
			// mcp-go decodes arguments into map[string]any, whose numbers are
			// float64: a number past its range (1e700) makes the whole
			// request unparsable, a protocol error before any handler runs.
			_, err = h.callRaw(ctx, name, args)
			require.ErrorContains(t, err, "cannot unmarshal number", "%s(%s): mcp-go's answer to a number float64 cannot hold", name, args)
			require.Empty(t, h.operations(), "%s(%s): nothing is sent", name, args)
			return
		case json.Valid(args):
			res, err = h.callRaw(ctx, name, args)
			require.NoError(t, err, "%s(%s) must not be a protocol error", name, args)
		default:
			var req mcp.CallToolRequest
			req.Params.Name = name
			req.Params.RawArguments = args
			res, err = h.tools[name].Handler(ctx, req)
			require.NoError(t, err, "%s handler(%q) returned a Go error", name, args)
		}
		require.NotNil(t, res)
		text := allText(res)
		if strings.Contains(text, h.apiKey) {
			t.Fatalf("%s(%s): a result carries the API key", name, args)
		}
		if res.IsError && strings.HasPrefix(resultText(res), "internal error in ") {
			t.Fatalf("%s(%s) panicked: %s", name, args, resultText(res))
		}
		require.NotContains(t, h.logs.String()[logged:], "panicked", "%s(%s) panicked", name, args)

		ops := h.operations()
		if res.IsError && strings.HasPrefix(resultText(res), "invalid arguments") {
			require.Empty(t, ops, "%s(%s): refused arguments, yet requests went out", name, args)
		}
		for _, op := range ops {
			require.Contains(t, toolOps[name], op, "%s(%s) sent a request that is not its own", name, args)
		}
		require.LessOrEqual(t, len(ops), 3*len(toolOps[name]), "%s(%s): at most two retries of each request", name, args)
	})
}

// fitsFloat64 reports whether every number in the valid JSON b fits a
// float64, as encoding/json decodes numbers into an interface.
func fitsFloat64(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return true // io.EOF: b is valid JSON
		}
		if n, ok := tok.(json.Number); ok {
			if _, err := n.Float64(); err != nil {
				return false
			}
		}
	}
}
