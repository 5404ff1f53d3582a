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
// carry the version, and they must agree. Each bundle holds the manifest,
// the binary, LICENSE and packaging/icon.png. The manifest's tool list is
// written from the registry (the tools the default toolsets expose), so it
// cannot drift from the code. Both files are checked against the official
// JSON schemas kept in packaging/schemas/ before anything is written. The
// bundles, SHA256SUMS and server.json an earlier run left in the output
// directory are removed first, so a release never picks up a bundle of
// another version.
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
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// Names shared by the manifest, server.json and the bundles.
const (
	binaryName   = "telnyx-oauth-mcp"
	registryName = "io.github.telnyx-oauth-mcp/telnyx-oauth-mcp"
	modulePath   = "github.com/telnyx-oauth-mcp/telnyx-oauth-mcp"
	releaseURL   = "https://" + modulePath + "/releases/download"
	imageName    = "ghcr.io/telnyx-oauth-mcp/telnyx-oauth-mcp"
	apiKeyConfig = "telnyx_api_key"
	apiKeyEnv    = "TELNYX_API_KEY"
	license      = "MIT"
	iconName     = "icon.png"
)

// The files a bundle takes from the repository, and the official schemas,
// relative to the repository root.
const (
	licenseFile    = "LICENSE"
	iconFile       = "packaging/icon.png"
	manifestSchema = "packaging/schemas/mcpb-manifest-v0.3.schema.json"
	serverSchema   = "packaging/schemas/server.schema.json"
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
	// compile builds the server for one platform into bin; goBuild when nil.
	compile func(ctx context.Context, o options, version, goos, goarch, bin string) error
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
	flag.StringVar(&o.out, "out", "dist/mcpb", "output directory (the bundles, SHA256SUMS and server.json an earlier run left there are removed)")
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
	v, err := loadValidator(o.root)
	if err != nil {
		return nil, err
	}
	manifest, err := readJSON(filepath.Join(o.root, o.manifest))
	if err != nil {
		return nil, err
	}
	entry, err := readJSON(filepath.Join(o.root, o.serverJSON))
	if err != nil {
		return nil, err
	}
	if err := v.checkAgreement(manifest, entry); err != nil {
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
	files, err := readFiles(o.root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	if err := removeOutput(o.out); err != nil {
		return nil, err
	}

	var bundles []bundle
	for _, target := range o.targets {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(target), "/")
		if !ok || mcpbPlatform[goos] == "" || goarch == "" {
			return nil, fmt.Errorf("target %q: want GOOS/GOARCH with GOOS darwin, windows or linux", target)
		}
		fmt.Fprintf(log, "building %s/%s\n", goos, goarch)
		b, err := buildBundle(ctx, o, v, manifest, files, version, goos, goarch)
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
	if err := v.validateServerJSON(published); err != nil {
		return nil, fmt.Errorf("the server.json written would be invalid: %w", err)
	}
	if err := writeJSON(filepath.Join(o.out, "server.json"), published); err != nil {
		return nil, err
	}
	return bundles, nil
}

// bundleFiles are the files every bundle takes from the repository.
type bundleFiles struct {
	license, icon []byte
}

func readFiles(root string) (bundleFiles, error) {
	var f bundleFiles
	var err error
	if f.license, err = os.ReadFile(filepath.Join(root, licenseFile)); err != nil {
		return f, err
	}
	f.icon, err = os.ReadFile(filepath.Join(root, iconFile))
	return f, err
}

// removeOutput deletes what an earlier run wrote to out (its bundles,
// SHA256SUMS and server.json) and nothing else, so the directory never
// mixes this build's bundles with another version's.
func removeOutput(out string) error {
	old, err := filepath.Glob(filepath.Join(out, binaryName+"-*.mcpb"))
	if err != nil {
		return err
	}
	for _, f := range append(old, filepath.Join(out, "SHA256SUMS"), filepath.Join(out, "server.json")) {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// buildBundle compiles the server for one platform and zips it with its
// manifest and files.
func buildBundle(ctx context.Context, o options, v *validator, base map[string]any, files bundleFiles, version, goos, goarch string) (bundle, error) {
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
	compile := o.compile
	if compile == nil {
		compile = goBuild
	}
	if err := compile(ctx, o, version, goos, goarch, bin); err != nil {
		return bundle{}, err
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
	if err := v.validateManifest(m); err != nil {
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
		{licenseFile, 0o644, files.license},
		{iconName, 0o644, files.icon},
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

// goBuild compiles the server for one platform, static and with the
// version stamped in.
func goBuild(ctx context.Context, o options, version, goos, goarch, bin string) error {
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
		return fmt.Errorf("go build: %v\n%s", err, stderr.String())
	}
	return nil
}

// toolList is the manifest's declarative tool list: the tools the server
// exposes with the default toolsets, which is what the bundle runs unless
// the user changes its Toolsets setting.
func toolList() []map[string]string {
	exposed, err := tools.Select(tools.All(tools.Deps{}), tools.Selection{Toolsets: tools.DefaultToolsets})
	if err != nil {
		panic(err) // the default toolsets are known
	}
	var out []map[string]string
	for _, t := range exposed {
		out = append(out, map[string]string{"name": t.Name(), "description": t.Definition.Description})
	}
	return out
}

// registryEntry is server.json for a release: the checked-in entry at this
// version (the container image tagged with it), plus one mcpb package per
// bundle with its download URL and hash.
func registryEntry(entry map[string]any, version, baseURL string, bundles []bundle) map[string]any {
	e := clone(entry)
	e["version"] = version
	var packages []any
	for _, p := range e["packages"].([]any) {
		pkg := p.(map[string]any)
		if pkg["registryType"] == "oci" {
			pkg["identifier"] = imageName + ":" + version
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

// manifestDoc is the part of a bundle manifest whose meaning the schema
// cannot check: what a host needs to start this server with the user's key.
type manifestDoc struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	License string `json:"license"`
	Icon    string `json:"icon"`
	// The schema requires server, its type, entry_point and mcp_config,
	// and mcp_config's command.
	Server struct {
		Type       string `json:"type"`
		EntryPoint string `json:"entry_point"`
		MCPConfig  struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
		} `json:"mcp_config"`
	} `json:"server"`
	Compatibility *struct {
		ClaudeDesktop string `json:"claude_desktop"`
	} `json:"compatibility"`
	PromptsGenerated bool `json:"prompts_generated"`
	UserConfig       map[string]struct {
		Type      string `json:"type"`
		Sensitive bool   `json:"sensitive"`
		Required  bool   `json:"required"`
	} `json:"user_config"`
}

var userConfigRef = regexp.MustCompile(`\$\{user_config\.([A-Za-z0-9_]+)\}`)

// validateManifest checks a bundle manifest against the official MCPB
// schema, then what the schema leaves open: a binary server with its
// command, the API key passed in the environment from sensitive
// user_config, every ${user_config.x} defined, the license, the icon, the
// Claude Desktop version, and static prompts.
func (v *validator) validateManifest(raw map[string]any) error {
	if err := validate(v.manifest, raw); err != nil {
		return err
	}
	var m manifestDoc
	if err := roundTrip(raw, &m); err != nil {
		return err
	}
	switch {
	case m.Name != binaryName:
		return fmt.Errorf("name is %q, want %q", m.Name, binaryName)
	case !semver.MatchString(m.Version):
		return fmt.Errorf("version %q is not a semantic version", m.Version)
	case m.License != license:
		return fmt.Errorf("license is %q, want %q", m.License, license)
	case m.Icon != iconName:
		return fmt.Errorf("icon is %q, want %q", m.Icon, iconName)
	case m.Compatibility == nil || m.Compatibility.ClaudeDesktop == "":
		return errors.New("compatibility.claude_desktop is missing")
	case m.PromptsGenerated:
		return errors.New("prompts_generated must be false: the prompts are static")
	case m.Server.Type != "binary":
		return errors.New(`server.type must be "binary"`)
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
	return nil
}

// serverDoc is the part of server.json the registry checks beyond its
// schema.
type serverDoc struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository *struct {
		URL    string `json:"url"`
		Source string `json:"source"`
	} `json:"repository"`
	Meta struct {
		Publisher struct {
			License string `json:"license"`
		} `json:"io.modelcontextprotocol.registry/publisher-provided"`
	} `json:"_meta"`
	Packages []registryPackage `json:"packages"`
}

type registryPackage struct {
	RegistryType string `json:"registryType"`
	Identifier   string `json:"identifier"`
	Version      string `json:"version"`
	FileSha256   string `json:"fileSha256"`
	// The schema requires transport and its type.
	Transport struct {
		Type string `json:"type"`
	} `json:"transport"`
	EnvironmentVariables []envVar `json:"environmentVariables"`
}

type envVar struct {
	Name       string `json:"name"`
	Value      string `json:"value"`
	IsRequired bool   `json:"isRequired"`
	IsSecret   bool   `json:"isSecret"`
}

// registryTypes are the package types the MCP registry publishes
// (ValidatePackage in modelcontextprotocol/registry,
// internal/validators/package.go); any other fails with "unsupported
// registry type".
var registryTypes = []string{"npm", "pypi", "nuget", "oci", "mcpb", "cargo"}

var sha256Pattern = regexp.MustCompile(`^[a-f0-9]{64}$`)

// validateServerJSON checks server.json against the registry's official
// schema, then the registry's publishing rules that matter here: a type it
// accepts on every package, a GitHub release URL and a hash for each mcpb
// package, the container image at the server's version with the API key as
// a required secret, and the license.
func (v *validator) validateServerJSON(raw map[string]any) error {
	if err := validate(v.server, raw); err != nil {
		return err
	}
	var s serverDoc
	if err := roundTrip(raw, &s); err != nil {
		return err
	}
	switch {
	case s.Name != registryName:
		return fmt.Errorf("name is %q, want %q", s.Name, registryName)
	case !semver.MatchString(s.Version):
		return fmt.Errorf("version %q is not an exact semantic version", s.Version)
	case s.Repository == nil || s.Repository.Source != "github" || s.Repository.URL != "https://"+modulePath:
		return errors.New("repository must be the GitHub repository")
	case s.Meta.Publisher.License != license:
		return fmt.Errorf("_meta[io.modelcontextprotocol.registry/publisher-provided].license must be %q", license)
	case len(s.Packages) == 0:
		return errors.New("packages is empty")
	}
	for i, p := range s.Packages {
		if !slices.Contains(registryTypes, p.RegistryType) {
			return fmt.Errorf("packages[%d]: the registry does not accept registryType %q (only %s)", i, p.RegistryType, strings.Join(registryTypes, ", "))
		}
		switch p.RegistryType {
		case "oci":
			if p.Identifier != imageName+":"+s.Version {
				return fmt.Errorf("packages[%d]: the image must be %s:%s", i, imageName, s.Version)
			}
			if p.Transport.Type != "stdio" ||
				!slices.ContainsFunc(p.EnvironmentVariables, func(e envVar) bool { return e.Name == "TELNYX_MCP_TRANSPORT" && e.Value == "stdio" }) {
				return fmt.Errorf("packages[%d]: the image serves HTTP unless TELNYX_MCP_TRANSPORT=stdio is set for a stdio transport", i)
			}
			if !slices.ContainsFunc(p.EnvironmentVariables, func(e envVar) bool { return e.Name == apiKeyEnv && e.IsSecret && e.IsRequired }) {
				return fmt.Errorf("packages[%d]: %s must be a required secret environment variable", i, apiKeyEnv)
			}
		case "mcpb":
			if !sha256Pattern.MatchString(p.FileSha256) || !strings.HasPrefix(p.Identifier, "https://github.com/") || !strings.Contains(p.Identifier, "/releases/download/") {
				return fmt.Errorf("packages[%d]: an mcpb package needs a GitHub release download URL and its fileSha256", i)
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
func (v *validator) checkAgreement(manifest, entry map[string]any) error {
	if err := v.validateManifest(manifest); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := v.validateServerJSON(entry); err != nil {
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

// validator holds the official schemas of the two files.
type validator struct {
	manifest, server *jsonschema.Schema
}

// loadValidator compiles the schemas kept in the repository. Nothing is
// fetched: each is registered under its own file URL, and draft-07's
// meta-schema is built into the library.
func loadValidator(root string) (*validator, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var v validator
	for _, s := range []struct {
		file string
		into **jsonschema.Schema
	}{{manifestSchema, &v.manifest}, {serverSchema, &v.server}} {
		f, err := os.Open(filepath.Join(root, s.file))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.file, err)
		}
		url := "file:///" + s.file
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", s.file, err)
		}
		if *s.into, err = c.Compile(url); err != nil {
			return nil, fmt.Errorf("%s: %w", s.file, err)
		}
	}
	return &v, nil
}

// validate checks a decoded JSON document against a schema.
func validate(schema *jsonschema.Schema, doc map[string]any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if err := schema.Validate(inst); err != nil {
		return fmt.Errorf("does not match the official schema: %w", err)
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
