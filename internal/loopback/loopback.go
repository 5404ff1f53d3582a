// Package loopback says whether a host name or address stays on this
// machine: where plain http is allowed and where a listener needs no
// allow-list of Host headers.
package loopback

import (
	"net"
	"strings"
)

// IsHost reports whether host names this machine only: "localhost" in any
// case, or an IP address in 127.0.0.0/8 or ::1. Other names are not
// resolved, since a DNS answer can change after the check.
func IsHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
