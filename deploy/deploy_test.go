// Package deploy holds the deployment files: the Dockerfile at the top of
// the repository and the Kubernetes manifests in kubernetes/. No container
// engine or cluster runs in CI, so this test checks them as text and YAML:
// they parse, say what the README promises (static binary, non-root,
// HTTP by default, probes, replicas, a read-only root, the signing key from
// a Secret), and name only flags the program has.
package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const serverName = "io.github.telnyx-oauth-mcp/telnyx-oauth-mcp"

// programFlags are the flags config.go defines, read from its source.
func programFlags(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../config.go")
	require.NoError(t, err)
	var out []string
	for _, m := range regexp.MustCompile(`fs\.\w+Var\(&cfg\.\w+, "([a-z-]+)"`).FindAllSubmatch(src, -1) {
		out = append(out, string(m[1]))
	}
	require.Contains(t, out, "stateless", "the flag pattern still matches config.go")
	return out
}

// envFlag maps TELNYX_MCP_STATELESS to "stateless"; "" when not a flag
// variable.
func envFlag(name string) string {
	f, ok := strings.CutPrefix(name, "TELNYX_MCP_")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(f, "_", "-"))
}

// dockerStage is one FROM … stage of the Dockerfile, its instructions with
// continuation lines joined.
type dockerStage struct {
	from         string
	instructions []string
}

func parseDockerfile(t *testing.T, text string) []dockerStage {
	t.Helper()
	var stages []dockerStage
	text = strings.ReplaceAll(text, "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if from, ok := strings.CutPrefix(line, "FROM "); ok {
			stages = append(stages, dockerStage{from: strings.Fields(from)[0]})
			continue
		}
		require.NotEmpty(t, stages, "instruction before FROM: %s", line)
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, line)
	}
	return stages
}

func (s dockerStage) find(keyword string) []string {
	var out []string
	for _, in := range s.instructions {
		if rest, ok := strings.CutPrefix(in, keyword+" "); ok {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	stages := parseDockerfile(t, string(b))
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage")

	build := stages[0]
	builds := strings.Join(build.find("RUN"), "\n")
	assert.Contains(t, builds, "CGO_ENABLED=0", "a static binary")
	assert.Contains(t, builds, "go build")
	assert.Contains(t, builds, "-X main.version=")

	final := stages[len(stages)-1]
	assert.Regexp(t, `^(gcr\.io/distroless/static[^ ]*|scratch)$`, final.from, "a distroless or scratch base")
	assert.NotEmpty(t, final.find("COPY"), "the binary is copied in")
	users := final.find("USER")
	require.NotEmpty(t, users, "the final stage sets a USER")
	user := strings.Split(users[len(users)-1], ":")[0]
	uid, err := strconv.Atoi(user)
	require.NoError(t, err, "a numeric USER, so Kubernetes can check runAsNonRoot")
	assert.NotZero(t, uid, "not root")

	labels := strings.Join(final.find("LABEL"), " ")
	assert.Contains(t, labels, `io.modelcontextprotocol.server.name="`+serverName+`"`)

	flags := programFlags(t)
	env := map[string]string{}
	for _, e := range final.find("ENV") {
		for _, kv := range strings.Fields(e) {
			k, v, ok := strings.Cut(kv, "=")
			require.True(t, ok, "ENV %s", kv)
			env[k] = v
			if f := envFlag(k); f != "" {
				assert.Contains(t, flags, f, "%s names no flag", k)
			}
		}
	}
	assert.Equal(t, "http", env["TELNYX_MCP_TRANSPORT"], "HTTP mode by default")
	assert.Equal(t, "0.0.0.0:8080", env["TELNYX_MCP_LISTEN"])
	assert.Contains(t, final.find("EXPOSE"), "8080")
	entry := final.find("ENTRYPOINT")
	require.Len(t, entry, 1)
	assert.True(t, strings.HasPrefix(entry[0], `["`), "exec form, so SIGTERM reaches the server: %s", entry[0])
}

// The slices of the Kubernetes objects the test reads.
type (
	object struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec yaml.Node `yaml:"spec"`
	}
	deploymentSpec struct {
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds *int            `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               securityContext `yaml:"securityContext"`
		Containers                    []container     `yaml:"containers"`
	}
	securityContext struct {
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		RunAsUser                *int  `yaml:"runAsUser"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	}
	container struct {
		Name  string   `yaml:"name"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
		Env   []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
				FieldRef *struct {
					FieldPath string `yaml:"fieldPath"`
				} `yaml:"fieldRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext securityContext `yaml:"securityContext"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	}
	serviceSpec struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Port       int `yaml:"port"`
			TargetPort any `yaml:"targetPort"`
		} `yaml:"ports"`
	}
	networkPolicySpec struct {
		PodSelector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"podSelector"`
		PolicyTypes []string `yaml:"policyTypes"`
		Ingress     []struct {
			Ports []struct {
				Port any `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
		Egress []any `yaml:"egress"`
	}
)

// manifests reads every YAML document in kubernetes/, by kind.
func manifests(t *testing.T) map[string]object {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]object{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o object
			if err := dec.Decode(&o); err != nil {
				require.ErrorContains(t, err, "EOF", f)
				break
			}
			require.NotEmpty(t, o.Kind, f)
			require.NotEmpty(t, o.APIVersion, f)
			out[o.Kind] = o
		}
	}
	return out
}

func decodeSpec[T any](t *testing.T, o object) T {
	t.Helper()
	var spec T
	require.NoError(t, o.Spec.Decode(&spec), o.Kind)
	return spec
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	for _, kind := range []string{"Deployment", "Service", "NetworkPolicy", "Kustomization"} {
		require.Contains(t, objs, kind)
	}

	dep := decodeSpec[deploymentSpec](t, objs["Deployment"])
	require.NotNil(t, dep.Replicas)
	assert.GreaterOrEqual(t, *dep.Replicas, 2, "replicas")
	podLabels := dep.Template.Metadata.Labels
	for k, v := range dep.Selector.MatchLabels {
		assert.Equal(t, v, podLabels[k], "the selector matches the pods")
	}

	pod := dep.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	assert.NotEmpty(t, c.Image)

	// Every flag and TELNYX_MCP_* variable is one the program has; the
	// replicas are stateless and serve HTTP on the probed port.
	flags := programFlags(t)
	args := map[string]string{}
	for _, a := range c.Args {
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		assert.Contains(t, flags, name, "arg %s", a)
		args[name] = value
	}
	assert.Equal(t, "http", args["transport"])
	assert.Contains(t, args, "stateless")
	require.Len(t, c.Ports, 1)
	assert.Equal(t, "0.0.0.0:"+strconv.Itoa(c.Ports[0].ContainerPort), args["listen"])

	// The probes (and Prometheus) send the pod's IP as Host: it must be on
	// the allow-list, through a variable set before the list refers to it.
	podIP := ""
	var allowedHosts []string
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP" {
			podIP = e.Name
		}
		if e.Name == "TELNYX_MCP_ALLOWED_HOSTS" {
			require.NotEmpty(t, podIP, "the pod IP variable comes before TELNYX_MCP_ALLOWED_HOSTS")
			allowedHosts = strings.Split(e.Value, ",")
		}
	}
	assert.Contains(t, allowedHosts, "$("+podIP+")", "the probes' Host is allowed")

	var stateKey bool
	for _, e := range c.Env {
		if f := envFlag(e.Name); f != "" && e.Name != "TELNYX_MCP_STATE_KEY" {
			assert.Contains(t, flags, f, "%s names no flag", e.Name)
		}
		if e.Name == "TELNYX_MCP_STATE_KEY" {
			require.NotNil(t, e.ValueFrom, "the state key comes from a Secret, not the manifest")
			require.NotNil(t, e.ValueFrom.SecretKeyRef)
			assert.NotEmpty(t, e.ValueFrom.SecretKeyRef.Name)
			assert.Empty(t, e.Value)
			stateKey = true
		}
		assert.NotEqual(t, "TELNYX_API_KEY", e.Name, "key mode: the pods hold no Telnyx key")
	}
	assert.True(t, stateKey, "stateless replicas share TELNYX_MCP_STATE_KEY")

	for path, p := range map[string]*probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		require.NotNil(t, p, path)
		require.NotNil(t, p.HTTPGet, path)
		assert.Equal(t, path, p.HTTPGet.Path)
		assert.Contains(t, []any{c.Ports[0].Name, c.Ports[0].ContainerPort}, p.HTTPGet.Port)
	}

	for _, r := range []string{"cpu", "memory"} {
		assert.NotEmpty(t, c.Resources.Requests[r], "requests.%s", r)
		assert.NotEmpty(t, c.Resources.Limits[r], "limits.%s", r)
	}

	sc := c.SecurityContext
	require.NotNil(t, sc.ReadOnlyRootFilesystem)
	assert.True(t, *sc.ReadOnlyRootFilesystem, "read-only root filesystem")
	nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot)
	assert.True(t, nonRoot, "runAsNonRoot")
	if u := pod.SecurityContext.RunAsUser; u != nil {
		assert.NotZero(t, *u)
	}
	require.NotNil(t, sc.AllowPrivilegeEscalation)
	assert.False(t, *sc.AllowPrivilegeEscalation)
	assert.Contains(t, sc.Capabilities.Drop, "ALL")

	grace := 10 * time.Second
	if g, ok := args["shutdown-grace"]; ok {
		var err error
		grace, err = time.ParseDuration(g)
		require.NoError(t, err)
	}
	require.NotNil(t, pod.TerminationGracePeriodSeconds)
	assert.Greater(t, time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second, grace,
		"the kubelet waits longer than the server's shutdown grace")

	svc := decodeSpec[serviceSpec](t, objs["Service"])
	for k, v := range svc.Selector {
		assert.Equal(t, v, podLabels[k], "the Service selects the pods")
	}
	require.NotEmpty(t, svc.Ports)
	assert.Contains(t, []any{c.Ports[0].Name, c.Ports[0].ContainerPort}, svc.Ports[0].TargetPort)

	np := decodeSpec[networkPolicySpec](t, objs["NetworkPolicy"])
	for k, v := range np.PodSelector.MatchLabels {
		assert.Equal(t, v, podLabels[k], "the NetworkPolicy selects the pods")
	}
	assert.NotEmpty(t, np.PodSelector.MatchLabels)
	assert.True(t, slices.Contains(np.PolicyTypes, "Ingress") && slices.Contains(np.PolicyTypes, "Egress"))
	require.NotEmpty(t, np.Ingress)
	for _, in := range np.Ingress {
		for _, p := range in.Ports {
			assert.Contains(t, []any{c.Ports[0].Name, c.Ports[0].ContainerPort}, p.Port)
		}
	}
	assert.NotEmpty(t, np.Egress, "egress is restricted, not open")
}
