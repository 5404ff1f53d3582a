//go:build !linux

package httpserver

// processFamilies: the process metrics are read from /proc, so only Linux
// (the container image and the Kubernetes deployment) has them.
func processFamilies() []family { return nil }
