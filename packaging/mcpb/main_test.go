package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

const root = "../.."

func checkedIn(t *testing.T) (manifest, entry map[string]any) {
	t.Helper()
	manifest, err := readJSON(filepath.Join(root, "packaging/manifest.json"))
	require.NoError(t, err)
	entry, err = readJSON(filepath.Join(root, "server.json"))
	require.NoError(t, err)
	return manifest, entry
}

// TestCheckedInFilesAgree: manifest.json and server.json parse, carry what a
// host and the registry need, and name the same server at the same version.
func TestCheckedInFilesAgree(t *testing.T) {
	t.Parallel()
	manifest, entry := checkedIn(t)
	require.NoError(t, validateManifest(manifest))
	require.NoError(t, validateServerJSON(entry))
	require.NoError(t, checkAgreement(manifest, entry))

	assert.Equal(t, "binary", manifest["server"].(map[string]any)["type"])
	key := manifest["user_config"].(map[string]any)[apiKeyConfig].(map[string]any)
	assert.Equal(t, true, key["sensitive"], "the API key is masked and kept in the OS keychain")
	assert.Equal(t, "io.github.telnyx-oauth-mcp/telnyx-oauth-mcp", entry["name"])
	assert.Equal(t, manifest["version"], entry["version"])
	pkg := entry["packages"].([]any)[0].(map[string]any)
	assert.Equal(t, "v"+entry["version"].(string), pkg["version"])

	// Every user_config value reaches the server through a variable main
	// reads.
	env := manifest["server"].(map[string]any)["mcp_config"].(map[string]any)["env"].(map[string]any)
	assert.Equal(t, map[string]any{
		"TELNYX_API_KEY":       "${user_config.telnyx_api_key}",
		"TELNYX_MCP_READ_ONLY": "${user_config.read_only}",
		"TELNYX_MCP_TOOLSETS":  "${user_config.toolsets}",
	}, env)
	assert.Equal(t, strings.Join(tools.DefaultToolsets, ","), manifest["user_config"].(map[string]any)["toolsets"].(map[string]any)["default"])
}

// TestValidationCatchesMistakes: the checks used on the checked-in files and
// on what the builder writes are not vacuous.
func TestValidationCatchesMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(manifest, entry map[string]any)
		want   string
	}{
		{"key not sensitive", func(m, _ map[string]any) {
			m["user_config"].(map[string]any)[apiKeyConfig].(map[string]any)["sensitive"] = false
		}, "sensitive"},
		{"key not passed", func(m, _ map[string]any) {
			delete(m["server"].(map[string]any)["mcp_config"].(map[string]any)["env"].(map[string]any), apiKeyEnv)
		}, apiKeyEnv},
		{"undefined user_config", func(m, _ map[string]any) {
			m["server"].(map[string]any)["mcp_config"].(map[string]any)["env"].(map[string]any)["X"] = "${user_config.nope}"
		}, "nope"},
		{"not a binary", func(m, _ map[string]any) { m["server"].(map[string]any)["type"] = "node" }, "binary"},
		{"unknown member", func(m, _ map[string]any) { m["permissions"] = []string{"all"} }, "permissions"},
		{"versions differ", func(_, e map[string]any) {
			e["version"] = "9.9.9"
			e["packages"].([]any)[0].(map[string]any)["version"] = "v9.9.9"
		}, "differs"},
		{"other name", func(_, e map[string]any) { e["name"] = "io.github.someone/else" }, "name"},
		{"long description", func(_, e map[string]any) { e["description"] = strings.Repeat("x", 101) }, "100"},
		{"secret not secret", func(_, e map[string]any) {
			for _, v := range e["packages"].([]any)[0].(map[string]any)["environmentVariables"].([]any) {
				v.(map[string]any)["isSecret"] = false
			}
		}, "secret"},
		{"mcpb without hash", func(_, e map[string]any) {
			e["packages"] = append(e["packages"].([]any), map[string]any{"registryType": "mcpb", "version": e["version"],
				"identifier": "https://github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/releases/download/v0.1.0/x.mcpb", "transport": map[string]any{"type": "stdio"}})
		}, "fileSha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, e := checkedIn(t)
			tc.change(m, e)
			assert.ErrorContains(t, checkAgreement(m, e), tc.want)
		})
	}
}

// TestBuildBundle runs the builder for this machine's platform and checks
// the bundle: its manifest, its binary (which must start and report the
// version), the checksums, and the server.json that lists it.
func TestBuildBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out := t.TempDir()
	target := runtime.GOOS + "/" + runtime.GOARCH
	var log bytes.Buffer
	bundles, err := build(ctx, options{
		root: root, manifest: "packaging/manifest.json", serverJSON: "server.json", out: out,
		version: "0.9.1-test", targets: []string{target}, releaseURL: releaseURL,
	}, &log)
	require.NoError(t, err, log.String())
	require.Len(t, bundles, 1)

	raw, err := os.ReadFile(bundles[0].path)
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	assert.Equal(t, hex.EncodeToString(sum[:]), bundles[0].sha256)
	assert.Equal(t, "telnyx-oauth-mcp-0.9.1-test-"+runtime.GOOS+"-"+runtime.GOARCH+".mcpb", filepath.Base(bundles[0].path))

	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	require.NoError(t, err)
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	exe := "server/" + binaryName
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	require.Contains(t, files, "manifest.json")
	require.Contains(t, files, exe)
	assert.Len(t, files, 2)
	assert.NotZero(t, files[exe].Mode()&0o111, "the binary is executable")

	var manifest map[string]any
	require.NoError(t, json.Unmarshal(readZip(t, files["manifest.json"]), &manifest))
	require.NoError(t, validateManifest(manifest))
	assert.Equal(t, "0.9.1-test", manifest["version"])
	assert.Equal(t, exe, manifest["server"].(map[string]any)["entry_point"])
	var listed []string
	for _, tl := range manifest["tools"].([]any) {
		listed = append(listed, tl.(map[string]any)["name"].(string))
	}
	var registry []string
	for _, tl := range tools.All(tools.Deps{}) {
		registry = append(registry, tl.Name())
	}
	assert.Equal(t, registry, listed, "the manifest lists exactly the registry's tools")
	assert.Contains(t, listed, "verify_oauth_access_token")

	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Equal(t, bundles[0].sha256+"  "+filepath.Base(bundles[0].path)+"\n", string(sums))

	published, err := readJSON(filepath.Join(out, "server.json"))
	require.NoError(t, err)
	require.NoError(t, validateServerJSON(published))
	assert.Equal(t, "0.9.1-test", published["version"])
	pkgs := published["packages"].([]any)
	require.Len(t, pkgs, 2)
	assert.Equal(t, "v0.9.1-test", pkgs[0].(map[string]any)["version"])
	mcpb := pkgs[1].(map[string]any)
	assert.Equal(t, "mcpb", mcpb["registryType"])
	assert.Equal(t, bundles[0].sha256, mcpb["fileSha256"])
	assert.Equal(t, releaseURL+"/v0.9.1-test/"+filepath.Base(bundles[0].path), mcpb["identifier"])

	// The bundled binary is the server, stamped with the version.
	bin := filepath.Join(t.TempDir(), filepath.Base(exe))
	require.NoError(t, os.WriteFile(bin, readZip(t, files[exe]), 0o755))
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	got, err := cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, "telnyx-oauth-mcp 0.9.1-test\n", string(got))

	// The same inputs give the same bundle.
	again, err := build(ctx, options{
		root: root, manifest: "packaging/manifest.json", serverJSON: "server.json", out: t.TempDir(),
		version: "0.9.1-test", targets: []string{target}, releaseURL: releaseURL,
	}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, bundles[0].sha256, again[0].sha256, "bundles are reproducible")
}

func readZip(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func TestBuildRefusesBadInput(t *testing.T) {
	t.Parallel()
	_, err := build(t.Context(), options{root: root, manifest: "packaging/manifest.json", serverJSON: "server.json",
		out: t.TempDir(), version: "latest", targets: []string{"linux/amd64"}}, io.Discard)
	assert.ErrorContains(t, err, "not a semantic version")
	_, err = build(t.Context(), options{root: root, manifest: "packaging/manifest.json", serverJSON: "server.json",
		out: t.TempDir(), targets: []string{"plan9/amd64"}}, io.Discard)
	assert.ErrorContains(t, err, "plan9")
}
