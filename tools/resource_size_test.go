package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// A resource is capped like a tool result: a JWKS of many long members
// would otherwise go whole into the model's context.
func TestResourceSizeIsCapped(t *testing.T) {
	t.Parallel()
	e := newHarness(t, sandbox())
	member := strings.Repeat("k", 8000)
	var keys []string
	for i := range 40 {
		keys = append(keys, fmt.Sprintf(`{"kid":"k%d","kty":"EC","x":%q,"y":%q}`, i, member, member))
	}
	e.fake.Inject(telnyxfake.OpGetJWKS, faultinject.Body(http.StatusOK, "application/json", `{"keys":[`+strings.Join(keys, ",")+`]}`))

	msg := e.readResourceError(t, "telnyx-oauth://jwks")
	assert.Contains(t, msg, "KiB")
	assert.Less(t, len(msg), 500)

	// The next read, of the fake's real key set, fits.
	v, _ := e.readResource(t, "telnyx-oauth://jwks")
	assert.NotEmpty(t, v["keys"])
}
