// Command mcpb builds the one-click install bundles of telnyx-oauth-mcp: one
// .mcpb file (the MCP Bundle format, a zip with manifest.json and the
// binary, which Claude Desktop installs with a double click) per platform,
// their SHA256SUMS, and a server.json for the MCP registry that lists them.
// Run it from the repository root:
//
//	go run ./packaging/mcpb                                # every platform, into dist/mcpb
//	go run ./packaging/mcpb -targets darwin/arm64          # one platform
//	go run ./packaging/mcpb -version 1.2.3                 # another version than the manifest's
//
// The inputs are packaging/manifest.json (the bundle manifest, with the API
// key as sensitive user_config) and server.json (the registry entry); both
// carry the version, and they must agree. The manifest's tool list is
// written from the registry (tools.All), so it cannot drift from the code.
//
// MCPB spec: https://github.com/modelcontextprotocol/mcpb/blob/main/MANIFEST.md
// Registry: https://github.com/modelcontextprotocol/registry/tree/main/docs/reference/server-json
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// Names shared by the manifest, server.json and the bundles.
const (
	binaryName   = "telnyx-oauth-mcp"
	registryName = "io.github.telnyx-oauth-mcp/telnyx-oauth-mcp"
	modulePath   = "github.com/telnyx-oauth-mcp/telnyx-oauth-mcp"
	releaseURL   = "https://" + modulePath + "/releases/download"
	apiKeyConfig = "telnyx_api_key"
	apiKeyEnv    = "TELNYX_API_KEY"
)

// defaultTargets are the platforms bundles are built for, as GOOS/GOARCH.
var defaultTargets = []string{"darwin/arm64", "darwin/amd64", "windows/amd64", "windows/arm64", "linux/amd64", "linux/arm64"}

// mcpbPlatform maps GOOS to the platform names of the manifest.
var mcpbPlatform = map[string]string{"darwin": "darwin", "windows": "win32", "linux": "linux"}

var semver = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// zipTime is the modification time of every file in a bundle, so that the
// same inputs give the same bytes.
var zipTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type options struct {
	root       string // repository root
	manifest   string // relative to root
	serverJSON string // relative to root
	out        string
	version    string // "" means the manifest's
	targets    []string
	releaseURL string
	// trimpath builds reproducibly; off only in tests, to reuse the build
	// cache.
	trimpath bool
}

// bundle is one built .mcpb file.
type bundle struct {
	goos, goarch string
	path         string
	sha256       string
}

func main() {
	o := options{}
	var targets string
	flag.StringVar(&o.root, "root", ".", "repository root")
	flag.StringVar(&o.manifest, "manifest", "packaging/manifest.json", "bundle manifest template, relative to -root")
	flag.StringVar(&o.serverJSON, "server-json", "server.json", "MCP registry entry, relative to -root")
	flag.StringVar(&o.out, "out", "dist/mcpb", "output directory")
	flag.StringVar(&o.version, "version", "", "version to build (default: the manifest's)")
	flag.StringVar(&targets, "targets", strings.Join(defaultTargets, ","), "comma-separated GOOS/GOARCH list")
	flag.StringVar(&o.releaseURL, "release-url", releaseURL, "base URL of release downloads; the bundles are expected at <url>/v<version>/<file>")
	flag.BoolVar(&o.trimpath, "trimpath", true, "build with -trimpath (reproducible binaries)")
	flag.Parse()
	o.targets = strings.Split(targets, ",")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bundles, err := build(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcpb:", err)
		os.Exit(1)
	}
	for _, b := range bundles {
		fmt.Fprintf(os.Stderr, "%s  %s\n", b.sha256, b.path)
	}
	fmt.Fprintf(os.Stderr, "wrote %d bundles, SHA256SUMS and server.json to %s\n", len(bundles), o.out)
}

// build builds every target's bundle into o.out and writes SHA256SUMS and
// the server.json that lists the bundles.
func build(ctx context.Context, o options, log io.Writer) ([]bundle, error) {
	manifest, err := readJSON(filepath.Join(o.root, o.manifest))
	if err != nil {
		return nil, err
	}
	entry, err := readJSON(filepath.Join(o.root, o.serverJSON))
	if err != nil {
		return nil, err
	}
	if err := checkAgreement(manifest, entry); err != nil {
		return nil, fmt.Errorf("%s and %s: %w", o.manifest, o.serverJSON, err)
	}
	version := o.version
	if version == "" {
		version, _ = manifest["version"].(string)
	}
	if !semver.MatchString(version) {
		return nil, fmt.Errorf("version %q is not a semantic version", version)
	}
	manifest["version"] = version
	manifest["tools"] = toolList()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}

	var bundles []bundle
	for _, target := range o.targets {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(target), "/")
		if !ok || mcpbPlatform[goos] == "" || goarch == "" {
			return nil, fmt.Errorf("target %q: want GOOS/GOARCH with GOOS darwin, windows or linux", target)
		}
		fmt.Fprintf(log, "building %s/%s\n", goos, goarch)
		b, err := buildBundle(ctx, o, manifest, version, goos, goarch)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", goos, goarch, err)
		}
		bundles = append(bundles, b)
	}

	var sums strings.Builder
	for _, b := range bundles {
		fmt.Fprintf(&sums, "%s  %s\n", b.sha256, filepath.Base(b.path))
	}
	if err := os.WriteFile(filepath.Join(o.out, "SHA256SUMS"), []byte(sums.String()), 0o644); err != nil {
		return nil, err
	}
	published := registryEntry(entry, version, o.releaseURL, bundles)
	if err := validateServerJSON(published); err != nil {
		return nil, fmt.Errorf("the server.json written would be invalid: %w", err)
	}
	if err := writeJSON(filepath.Join(o.out, "server.json"), published); err != nil {
		return nil, err
	}
	return bundles, nil
}

// buildBundle compiles the server for one platform and zips it with its
// manifest.
func buildBundle(ctx context.Context, o options, base map[string]any, version, goos, goarch string) (bundle, error) {
	exe := binaryName
	if goos == "windows" {
		exe += ".exe"
	}
	tmp, err := os.MkdirTemp("", "mcpb-")
	if err != nil {
		return bundle{}, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, exe)
	args := []string{"build", "-ldflags", "-s -w -X main.version=" + version, "-o", bin}
	if o.trimpath {
		args = append(args, "-trimpath")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = o.root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return bundle{}, fmt.Errorf("go build: %v\n%s", err, stderr.String())
	}

	// The manifest of this bundle: its platform and its binary's name.
	m := clone(base)
	server := m["server"].(map[string]any)
	server["entry_point"] = "server/" + exe
	server["mcp_config"].(map[string]any)["command"] = "${__dirname}/server/" + exe
	compat, _ := m["compatibility"].(map[string]any)
	if compat == nil {
		compat = map[string]any{}
		m["compatibility"] = compat
	}
	compat["platforms"] = []string{mcpbPlatform[goos]}
	if err := validateManifest(m); err != nil {
		return bundle{}, fmt.Errorf("the manifest written would be invalid: %w", err)
	}
	manifestJSON, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return bundle{}, err
	}
	binBytes, err := os.ReadFile(bin)
	if err != nil {
		return bundle{}, err
	}

	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for _, f := range []struct {
		name string
		mode os.FileMode
		data []byte
	}{
		{"manifest.json", 0o644, append(manifestJSON, '\n')},
		{"server/" + exe, 0o755, binBytes},
	} {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return bundle{}, err
		}
		if _, err := w.Write(f.data); err != nil {
			return bundle{}, err
		}
	}
	if err := zw.Close(); err != nil {
		return bundle{}, err
	}
	path := filepath.Join(o.out, fmt.Sprintf("%s-%s-%s-%s.mcpb", binaryName, version, goos, goarch))
	if err := os.WriteFile(path, zipped.Bytes(), 0o644); err != nil {
		return bundle{}, err
	}
	sum := sha256.Sum256(zipped.Bytes())
	return bundle{goos: goos, goarch: goarch, path: path, sha256: hex.EncodeToString(sum[:])}, nil
}

// toolList is the manifest's declarative tool list, from the registry.
func toolList() []map[string]string {
	var out []map[string]string
	for _, t := range tools.All(tools.Deps{}) {
		out = append(out, map[string]string{"name": t.Name(), "description": t.Definition.Description})
	}
	return out
}

// registryEntry is server.json for a release: the checked-in entry at this
// version, plus one mcpb package per bundle with its download URL and hash.
func registryEntry(entry map[string]any, version, baseURL string, bundles []bundle) map[string]any {
	e := clone(entry)
	e["version"] = version
	var packages []any
	for _, p := range e["packages"].([]any) {
		pkg := p.(map[string]any)
		if pkg["registryType"] == "go" {
			pkg["version"] = "v" + version
		}
		if pkg["registryType"] != "mcpb" {
			packages = append(packages, pkg)
		}
	}
	for _, b := range bundles {
		packages = append(packages, map[string]any{
			"registryType": "mcpb",
			"identifier":   strings.TrimSuffix(baseURL, "/") + "/v" + version + "/" + filepath.Base(b.path),
			"version":      version,
			"fileSha256":   b.sha256,
			"transport":    map[string]any{"type": "stdio"},
		})
	}
	e["packages"] = packages
	return e
}

// manifestDoc is the part of a bundle manifest that must be right for a
// host to install and start the server.
type manifestDoc struct {
	ManifestVersion string `json:"manifest_version"`
	Name            string `json:"name"`
	Version         string `json:"version"`
	Description     string `json:"description"`
	Author          *struct {
		Name string `json:"name"`
	} `json:"author"`
	Server *struct {
		Type       string `json:"type"`
		EntryPoint string `json:"entry_point"`
		MCPConfig  *struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcp_config"`
	} `json:"server"`
	Compatibility *struct {
		Platforms []string `json:"platforms"`
	} `json:"compatibility"`
	UserConfig map[string]struct {
		Type        string `json:"type"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Sensitive   bool   `json:"sensitive"`
		Required    bool   `json:"required"`
	} `json:"user_config"`
}

// manifestKeys are the top-level members the MCPB manifest schema allows
// (it has additionalProperties: false).
var manifestKeys = []string{
	"$schema", "dxt_version", "manifest_version", "name", "display_name", "version", "description", "long_description",
	"author", "repository", "homepage", "documentation", "support", "icon", "icons", "screenshots", "localization",
	"server", "tools", "tools_generated", "prompts", "prompts_generated", "keywords", "license", "privacy_policies",
	"compatibility", "user_config", "_meta",
}

var userConfigRef = regexp.MustCompile(`\$\{user_config\.([A-Za-z0-9_]+)\}`)

// validateManifest checks what a host needs from a bundle manifest: the
// required members, a binary server with its command, the API key passed in
// the environment from sensitive user_config, and every ${user_config.x}
// defined.
func validateManifest(raw map[string]any) error {
	for k := range raw {
		if !slices.Contains(manifestKeys, k) {
			return fmt.Errorf("unknown top-level member %q", k)
		}
	}
	var m manifestDoc
	if err := roundTrip(raw, &m); err != nil {
		return err
	}
	switch {
	case m.ManifestVersion == "":
		return errors.New("manifest_version is missing")
	case m.Name != binaryName:
		return fmt.Errorf("name is %q, want %q", m.Name, binaryName)
	case !semver.MatchString(m.Version):
		return fmt.Errorf("version %q is not a semantic version", m.Version)
	case m.Description == "":
		return errors.New("description is missing")
	case m.Author == nil || m.Author.Name == "":
		return errors.New("author.name is missing")
	case m.Server == nil || m.Server.Type != "binary":
		return errors.New(`server.type must be "binary"`)
	case m.Server.EntryPoint == "":
		return errors.New("server.entry_point is missing")
	case m.Server.MCPConfig == nil || m.Server.MCPConfig.Command == "":
		return errors.New("server.mcp_config.command is missing")
	case m.Server.MCPConfig.Env[apiKeyEnv] != "${user_config."+apiKeyConfig+"}":
		return fmt.Errorf("server.mcp_config.env.%s must be ${user_config.%s}", apiKeyEnv, apiKeyConfig)
	}
	if !strings.HasSuffix(m.Server.MCPConfig.Command, m.Server.EntryPoint) {
		return fmt.Errorf("server.mcp_config.command %q does not run the entry point %q", m.Server.MCPConfig.Command, m.Server.EntryPoint)
	}
	key, ok := m.UserConfig[apiKeyConfig]
	switch {
	case !ok:
		return fmt.Errorf("user_config.%s is missing", apiKeyConfig)
	case key.Type != "string" || !key.Sensitive || !key.Required:
		return fmt.Errorf("user_config.%s must be a required, sensitive string", apiKeyConfig)
	}
	for name, uc := range m.UserConfig {
		if uc.Title == "" || uc.Description == "" || !slices.Contains([]string{"string", "number", "boolean", "directory", "file"}, uc.Type) {
			return fmt.Errorf("user_config.%s needs a type, a title and a description", name)
		}
	}
	refs := append([]string{m.Server.MCPConfig.Command}, m.Server.MCPConfig.Args...)
	for _, v := range m.Server.MCPConfig.Env {
		refs = append(refs, v)
	}
	for _, r := range refs {
		for _, sub := range userConfigRef.FindAllStringSubmatch(r, -1) {
			if _, ok := m.UserConfig[sub[1]]; !ok {
				return fmt.Errorf("${user_config.%s} is used but not defined", sub[1])
			}
		}
	}
	if m.Compatibility != nil {
		for _, p := range m.Compatibility.Platforms {
			if !slices.Contains([]string{"darwin", "win32", "linux"}, p) {
				return fmt.Errorf("unknown platform %q", p)
			}
		}
	}
	return nil
}

// serverDoc is the part of server.json the registry checks.
type serverDoc struct {
	Schema      string `json:"$schema"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version"`
	Repository  *struct {
		URL    string `json:"url"`
		Source string `json:"source"`
	} `json:"repository"`
	Packages []registryPackage `json:"packages"`
}

type registryPackage struct {
	RegistryType string `json:"registryType"`
	Identifier   string `json:"identifier"`
	Version      string `json:"version"`
	FileSha256   string `json:"fileSha256"`
	Transport    *struct {
		Type string `json:"type"`
	} `json:"transport"`
	EnvironmentVariables []envVar `json:"environmentVariables"`
}

type envVar struct {
	Name       string `json:"name"`
	IsRequired bool   `json:"isRequired"`
	IsSecret   bool   `json:"isSecret"`
}

var (
	registryNamePattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`)
	sha256Pattern       = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// validateServerJSON checks server.json against the registry's schema and
// publishing rules that matter here: the name, a description of at most 100
// characters, exact versions, a stdio transport on every package, the API
// key as a required secret, and a hash and an "mcp" URL for mcpb packages.
func validateServerJSON(raw map[string]any) error {
	var s serverDoc
	if err := roundTrip(raw, &s); err != nil {
		return err
	}
	switch {
	case !strings.HasPrefix(s.Schema, "https://static.modelcontextprotocol.io/schemas/"):
		return errors.New("$schema must name a registry server schema")
	case s.Name != registryName || !registryNamePattern.MatchString(s.Name):
		return fmt.Errorf("name is %q, want %q", s.Name, registryName)
	case s.Description == "" || len([]rune(s.Description)) > 100:
		return errors.New("description must have 1 to 100 characters")
	case !semver.MatchString(s.Version):
		return fmt.Errorf("version %q is not an exact semantic version", s.Version)
	case s.Repository == nil || s.Repository.Source != "github" || s.Repository.URL != "https://"+modulePath:
		return errors.New("repository must be the GitHub repository")
	case len(s.Packages) == 0:
		return errors.New("packages is empty")
	}
	for i, p := range s.Packages {
		switch {
		case p.RegistryType == "" || p.Identifier == "":
			return fmt.Errorf("packages[%d]: registryType and identifier are required", i)
		case p.Transport == nil || p.Transport.Type != "stdio":
			return fmt.Errorf("packages[%d]: the transport must be stdio", i)
		case p.Version == "" || p.Version == "latest":
			return fmt.Errorf("packages[%d]: an exact version is required", i)
		}
		switch p.RegistryType {
		case "go":
			if p.Identifier != modulePath || p.Version != "v"+s.Version {
				return fmt.Errorf("packages[%d]: the go package must be %s at v%s", i, modulePath, s.Version)
			}
			if !slices.ContainsFunc(p.EnvironmentVariables, func(e envVar) bool { return e.Name == apiKeyEnv && e.IsSecret && e.IsRequired }) {
				return fmt.Errorf("packages[%d]: %s must be a required secret environment variable", i, apiKeyEnv)
			}
		case "mcpb":
			if !sha256Pattern.MatchString(p.FileSha256) || !strings.Contains(p.Identifier, "mcp") || !strings.HasPrefix(p.Identifier, "https://github.com/") {
				return fmt.Errorf("packages[%d]: an mcpb package needs a GitHub release URL containing \"mcp\" and its fileSha256", i)
			}
			if p.Version != s.Version {
				return fmt.Errorf("packages[%d]: version %q differs from the server's %q", i, p.Version, s.Version)
			}
		}
	}
	return nil
}

// checkAgreement checks each file and that they name the same server at the
// same version.
func checkAgreement(manifest, entry map[string]any) error {
	if err := validateManifest(manifest); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := validateServerJSON(entry); err != nil {
		return fmt.Errorf("server.json: %w", err)
	}
	mv, sv := manifest["version"], entry["version"]
	if mv != sv {
		return fmt.Errorf("the manifest's version %v differs from server.json's %v", mv, sv)
	}
	name, _ := entry["name"].(string)
	if _, short, _ := strings.Cut(name, "/"); short != manifest["name"] {
		return fmt.Errorf("server.json's name %q does not end in the manifest's name %q", name, manifest["name"])
	}
	return nil
}

func readJSON(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func roundTrip(in any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func clone(m map[string]any) map[string]any {
	var out map[string]any
	if err := roundTrip(m, &out); err != nil {
		panic(err) // a map decoded from JSON always encodes
	}
	return out
}
