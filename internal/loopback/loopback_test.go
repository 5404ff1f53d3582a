package loopback

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"0.0.0.0": false, "169.254.169.254": false, "10.0.0.1": false, "localhost.evil.com": false, "api.telnyx.com": false, "": false,
		"[::1]": false, "::ffff:127.0.0.1": true,
	} {
		assert.Equal(t, want, IsHost(host), host)
	}
}
