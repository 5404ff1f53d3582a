package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

func schemas(t *testing.T) *validator {
	t.Helper()
	v, err := loadValidator(root)
	require.NoError(t, err)
	return v
}

// TestCheckedInFilesAgree: manifest.json and server.json match the official
// schemas (the copies in packaging/schemas/), carry what a host and the
// registry need, and name the same server at the same version.
func TestCheckedInFilesAgree(t *testing.T) {
	t.Parallel()
	v := schemas(t)
	manifest, entry := checkedIn(t)
	require.NoError(t, v.validateManifest(manifest))
	require.NoError(t, v.validateServerJSON(entry))
	require.NoError(t, v.checkAgreement(manifest, entry))
	assert.Equal(t, "MIT", manifest["license"])
	assert.Equal(t, false, manifest["prompts_generated"])
	assert.NotEmpty(t, manifest["compatibility"].(map[string]any)["claude_desktop"])
	assert.Equal(t, "MIT", entry["_meta"].(map[string]any)["io.modelcontextprotocol.registry/publisher-provided"].(map[string]any)["license"])

	assert.Equal(t, "binary", manifest["server"].(map[string]any)["type"])
	key := manifest["user_config"].(map[string]any)[apiKeyConfig].(map[string]any)
	assert.Equal(t, true, key["sensitive"], "the API key is masked and kept in the OS keychain")
	assert.Equal(t, "io.github.telnyx-oauth-mcp/telnyx-oauth-mcp", entry["name"])
	assert.Equal(t, manifest["version"], entry["version"])
	pkg := entry["packages"].([]any)[0].(map[string]any)
	assert.Equal(t, "oci", pkg["registryType"])
	assert.Equal(t, imageName+":"+entry["version"].(string), pkg["identifier"])

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
		{"no mcp_config", func(m, _ map[string]any) { delete(m["server"].(map[string]any), "mcp_config") }, "official schema"},
		{"unknown member", func(m, _ map[string]any) { m["permissions"] = []string{"all"} }, "permissions"},
		{"platform the schema lacks", func(m, _ map[string]any) {
			m["compatibility"].(map[string]any)["platforms"] = []string{"plan9"}
		}, "official schema"},
		{"no license", func(m, _ map[string]any) { delete(m, "license") }, "license"},
		{"no icon", func(m, _ map[string]any) { delete(m, "icon") }, "icon"},
		{"no Claude Desktop version", func(m, _ map[string]any) {
			delete(m["compatibility"].(map[string]any), "claude_desktop")
		}, "claude_desktop"},
		{"generated prompts", func(m, _ map[string]any) { m["prompts_generated"] = true }, "prompts_generated"},
		{"versions differ", func(_, e map[string]any) {
			e["version"] = "9.9.9"
			e["packages"].([]any)[0].(map[string]any)["identifier"] = imageName + ":9.9.9"
		}, "differs"},
		{"go registry type", func(_, e map[string]any) {
			e["packages"] = append(e["packages"].([]any), map[string]any{"registryType": "go", "identifier": modulePath,
				"version": "v0.1.0", "transport": map[string]any{"type": "stdio"}})
		}, `registryType "go"`},
		{"image at another tag", func(_, e map[string]any) {
			e["packages"].([]any)[0].(map[string]any)["identifier"] = imageName + ":latest"
		}, "image"},
		{"image serving HTTP", func(_, e map[string]any) {
			pkg := e["packages"].([]any)[0].(map[string]any)
			pkg["environmentVariables"] = pkg["environmentVariables"].([]any)[1:]
		}, "TELNYX_MCP_TRANSPORT"},
		{"no license in server.json", func(_, e map[string]any) { delete(e, "_meta") }, "license"},
		{"transport the schema lacks", func(_, e map[string]any) {
			e["packages"].([]any)[0].(map[string]any)["transport"] = map[string]any{"type": "carrier-pigeon"}
		}, "official schema"},
		{"no transport", func(_, e map[string]any) {
			delete(e["packages"].([]any)[0].(map[string]any), "transport")
		}, "official schema"},
		{"other name", func(_, e map[string]any) { e["name"] = "io.github.someone/else" }, "name"},
		{"long description", func(_, e map[string]any) { e["description"] = strings.Repeat("x", 101) }, "official schema"},
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
			assert.ErrorContains(t, schemas(t).checkAgreement(m, e), tc.want)
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

	raw, files, exe := openBundle(t, bundles[0])
	sum := sha256.Sum256(raw)
	assert.Equal(t, hex.EncodeToString(sum[:]), bundles[0].sha256)
	assert.Equal(t, "telnyx-oauth-mcp-0.9.1-test-"+runtime.GOOS+"-"+runtime.GOARCH+".mcpb", filepath.Base(bundles[0].path))
	assertBundle(t, schemas(t), files, exe, "0.9.1-test")

	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Equal(t, bundles[0].sha256+"  "+filepath.Base(bundles[0].path)+"\n", string(sums))

	published, err := readJSON(filepath.Join(out, "server.json"))
	require.NoError(t, err)
	require.NoError(t, schemas(t).validateServerJSON(published))
	assert.Equal(t, "0.9.1-test", published["version"])
	pkgs := published["packages"].([]any)
	require.Len(t, pkgs, 2)
	assert.Equal(t, imageName+":0.9.1-test", pkgs[0].(map[string]any)["identifier"])
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

// openBundle reads a bundle: its bytes, its files by name, and the name of
// its binary.
func openBundle(t *testing.T, b bundle) (raw []byte, files map[string]*zip.File, exe string) {
	t.Helper()
	raw, err := os.ReadFile(b.path)
	require.NoError(t, err)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	require.NoError(t, err)
	files = map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	exe = "server/" + binaryName
	if b.goos == "windows" {
		exe += ".exe"
	}
	return raw, files, exe
}

// assertBundle checks one bundle's files: the manifest (valid, at the
// version, listing the tools the default toolsets expose, with the license
// and the icon), the executable binary, LICENSE and the icon.
func assertBundle(t *testing.T, v *validator, files map[string]*zip.File, exe, version string) {
	t.Helper()
	names := []string{}
	for n := range files {
		names = append(names, n)
	}
	assert.ElementsMatch(t, []string{"manifest.json", exe, "LICENSE", "icon.png"}, names)
	require.Contains(t, files, "manifest.json")
	require.Contains(t, files, exe)
	assert.NotZero(t, files[exe].Mode()&0o111, "the binary is executable")
	license, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	require.NoError(t, err)
	require.Contains(t, files, "LICENSE")
	assert.Equal(t, license, readZip(t, files["LICENSE"]))
	assert.Contains(t, string(license), "MIT License")
	icon, err := os.ReadFile(filepath.Join(root, iconPath))
	require.NoError(t, err)
	require.Contains(t, files, "icon.png")
	assert.Equal(t, icon, readZip(t, files["icon.png"]))

	var manifest map[string]any
	require.NoError(t, json.Unmarshal(readZip(t, files["manifest.json"]), &manifest))
	require.NoError(t, v.validateManifest(manifest))
	assert.Equal(t, version, manifest["version"])
	assert.Equal(t, exe, manifest["server"].(map[string]any)["entry_point"])
	assert.Equal(t, "MIT", manifest["license"])
	assert.Equal(t, "icon.png", manifest["icon"])
	var listed []string
	for _, tl := range manifest["tools"].([]any) {
		listed = append(listed, tl.(map[string]any)["name"].(string))
	}
	exposed, err := tools.Select(tools.All(tools.Deps{}), tools.Selection{})
	require.NoError(t, err)
	var want []string
	for _, tl := range exposed {
		want = append(want, tl.Name())
	}
	assert.Equal(t, want, listed, "the manifest lists the tools the default toolsets expose")
	assert.Contains(t, listed, "verify_oauth_access_token")
	assert.NotContains(t, listed, "submit_oauth_consent", "the consent toolset is off by default")
}

// TestEveryBundle runs the builder for all six platforms, with a stand-in
// for the compiler, and checks that each bundle has its manifest, binary,
// LICENSE and icon, and that server.json lists each one.
func TestEveryBundle(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	fake := func(_ context.Context, _ options, version, goos, goarch, bin string) error {
		return os.WriteFile(bin, []byte("binary "+version+" "+goos+"/"+goarch), 0o755)
	}
	bundles, err := build(t.Context(), options{
		root: root, manifest: "packaging/manifest.json", serverJSON: "server.json", out: out,
		version: "0.9.2", targets: defaultTargets, releaseURL: releaseURL, compile: fake,
	}, io.Discard)
	require.NoError(t, err)
	require.Len(t, bundles, 6)
	v := schemas(t)
	var platforms []string
	for _, b := range bundles {
		_, files, exe := openBundle(t, b)
		t.Run(b.goos+"/"+b.goarch, func(t *testing.T) { assertBundle(t, v, files, exe, "0.9.2") })
		platforms = append(platforms, b.goos+"/"+b.goarch)
	}
	assert.ElementsMatch(t, []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}, platforms)

	published, err := readJSON(filepath.Join(out, "server.json"))
	require.NoError(t, err)
	require.NoError(t, v.validateServerJSON(published))
	var types []string
	for _, p := range published["packages"].([]any) {
		types = append(types, p.(map[string]any)["registryType"].(string))
	}
	assert.Equal(t, []string{"oci", "mcpb", "mcpb", "mcpb", "mcpb", "mcpb", "mcpb"}, types)
}

// TestBuildRemovesEarlierOutput: what an earlier run wrote (a bundle of
// another version, SHA256SUMS, server.json) is gone before the release
// globs dist/mcpb/*.mcpb; files the builder does not write stay.
func TestBuildRemovesEarlierOutput(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	earlier := map[string]string{
		"telnyx-oauth-mcp-0.9.0-linux-amd64.mcpb":   "an earlier bundle",
		"telnyx-oauth-mcp-0.9.0-windows-arm64.mcpb": "an earlier bundle",
		"SHA256SUMS":  "stale",
		"server.json": "stale",
	}
	kept := map[string]string{"notes.txt": "mine", "other-tool-1.0.0.mcpb": "not the builder's"}
	for _, files := range []map[string]string{earlier, kept} {
		for name, data := range files {
			require.NoError(t, os.WriteFile(filepath.Join(out, name), []byte(data), 0o644))
		}
	}
	fake := func(_ context.Context, _ options, version, goos, goarch, bin string) error {
		return os.WriteFile(bin, []byte("binary "+version+" "+goos+"/"+goarch), 0o755)
	}
	bundles, err := build(t.Context(), options{
		root: root, manifest: "packaging/manifest.json", serverJSON: "server.json", out: out,
		version: "0.9.2", targets: []string{"linux/amd64"}, releaseURL: releaseURL, compile: fake,
	}, io.Discard)
	require.NoError(t, err)
	require.Len(t, bundles, 1)

	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"telnyx-oauth-mcp-0.9.2-linux-amd64.mcpb", "SHA256SUMS", "server.json", "notes.txt", "other-tool-1.0.0.mcpb"}, names)
	for name, data := range kept {
		got, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		assert.Equal(t, data, string(got))
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Equal(t, bundles[0].sha256+"  telnyx-oauth-mcp-0.9.2-linux-amd64.mcpb\n", string(sums))
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

// TestNoRefusedRegistryType: no JSON file in the repository declares a
// package type the MCP registry refuses (such as "go").
func TestNoRefusedRegistryType(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`"registryType"\s*:\s*"([^"]*)"`)
	seen := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "dist" || d.Name() == "schemas" && filepath.Base(filepath.Dir(p)) == "packaging") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			seen++
			assert.Contains(t, registryTypes, string(m[1]), "%s declares registryType %q", p, m[1])
		}
		return nil
	})
	require.NoError(t, err)
	assert.NotZero(t, seen, "server.json declares its packages")
}
