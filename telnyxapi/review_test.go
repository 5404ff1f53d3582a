package telnyxapi

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A gzip-encoded answer is decompressed by the transport; the body cap must
// count the decompressed bytes, so a small bomb cannot fill memory.
func TestReviewBodyCapCountsDecompressedBytes(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"data":{"id":"`))
	_, _ = zw.Write(make([]byte, 8<<20))
	require.NoError(t, zw.Close())
	bomb := buf.Bytes()
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb)
	}))
	c := newClient(t, srv.URL+"/v2", func(cfg *Config) { cfg.MaxBodyBytes = 64 << 10; cfg.MaxRetries = -1 })
	_, err := c.GetGrant(t.Context(), "g1")
	var re *ResponseError
	require.ErrorAs(t, err, &re)
	require.Contains(t, re.Reason, "larger than")
}

// A redirect target that goes into an error keeps its host and path but
// not the code or tokens it carries, in the query or the fragment.
func TestReviewRedactLocation(t *testing.T) {
	t.Parallel()
	for in, leak := range map[string]string{
		"https://app.example/cb?code=CODELEAK1234&state=s":     "CODELEAK",
		"https://app.example/cb#access_token=ATLEAK1234&x=1":   "ATLEAK",
		"https://app.example/cb?refresh_token=RTLEAK1234":      "RTLEAK",
		"https://app.example/cb?code=CODELEAK1234&bad=%zz":     "CODELEAK",
		"https://app.example/consent?consent_token=CTLEAK1234": "CTLEAK",
	} {
		out := redactLocation(in)
		require.NotContains(t, out, leak, in)
		require.Contains(t, out, "app.example", in)
	}
}

// A 2xx that cannot be decoded, on a call that is never retried, means the
// call took effect with its answer lost: the outcome is unknown. A body that
// carries secrets is not quoted.
func TestReviewUndecodableSuccessOfPOST(t *testing.T) {
	t.Parallel()
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"data":{"client_id":"c","client_secret":"SECRETLEAK-123456","name":1}}`))
	}))
	c := newClient(t, srv.URL+"/v2", nil)
	_, err := c.CreateClient(t.Context(), CreateClientRequest{Name: "n", ClientType: "confidential", AllowedScopes: []string{"admin"}, AllowedGrantTypes: []string{"client_credentials"}})
	var unknown *OutcomeUnknownError
	require.ErrorAs(t, err, &unknown)
	require.NotContains(t, err.Error(), "SECRETLEAK")
}
