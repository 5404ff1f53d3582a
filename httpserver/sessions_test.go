package httpserver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSessionCheckedOnce: the guard checks a request's session (owner,
// expiry) before mcp-go runs and marks it on the request; mcp-go's own
// validation of that id then takes the guard's word instead of looking the
// session up again, while any other id is still looked up.
func TestSessionCheckedOnce(t *testing.T) {
	t.Parallel()
	st := newSessionStore(10, 10, time.Minute, time.Now)
	id, ok := st.create("key:alice")
	require.True(t, ok)
	other, ok := st.create("key:alice")
	require.True(t, ok)

	ctx := withCheckedSession(withCaller(context.Background(), &caller{principal: "key:alice"}), id)
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1/mcp", nil)
	require.NoError(t, err)
	m := sessionResolver{store: st}.ResolveSessionIdManager(r)

	st.remove(id)
	st.remove(other)
	_, err = m.Validate(id)
	assert.NoError(t, err, "the guard's check stands: the store is not asked again")
	_, err = m.Validate(other)
	assert.ErrorIs(t, err, errSessionUnknown, "an id the guard did not check is looked up")
}
