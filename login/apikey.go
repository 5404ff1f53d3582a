package login

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"golang.org/x/term"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// maxKeyLength bounds what is read as an API key.
const maxKeyLength = 1024

// readAPIKey reads an API key from stdin (unechoed when stdin is a
// terminal), optionally checks it with one harmless read, and returns the
// credential to store.
func readAPIKey(ctx context.Context, api *telnyxapi.Client, baseURL string, stdin io.Reader, stderr io.Writer, verify bool) (*credstore.Credential, error) {
	key, err := readSecret(stdin, stderr, "Telnyx API key (input hidden): ")
	if err != nil {
		return nil, err
	}
	if verify {
		err := api.CheckAPIKey(ctx, key)
		var apiErr *telnyxapi.APIError
		switch {
		case errors.As(err, &apiErr) && (apiErr.Status == 401 || apiErr.Status == 403):
			return nil, fmt.Errorf("Telnyx refused the API key (%d): nothing was stored", apiErr.Status)
		case err != nil:
			return nil, fmt.Errorf("could not check the API key (%s); nothing was stored (use --no-verify to store it unchecked)", safetext.OneLine(err.Error()))
		}
	}
	return &credstore.Credential{Kind: credstore.KindAPIKey, BaseURL: baseURL, APIKey: key}, nil
}

// readSecret reads one line. From a terminal it prompts on stderr and turns
// echo off; otherwise (a pipe, a file) it reads the first line as it is.
func readSecret(stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	var raw string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("reading the API key: %w", err)
		}
		raw = string(b)
	} else {
		line, err := bufio.NewReader(io.LimitReader(stdin, maxKeyLength+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the API key from standard input: %w", err)
		}
		raw = line
	}
	key := strings.TrimSpace(raw)
	switch {
	case key == "":
		return "", errors.New("no API key on standard input: pipe it in (telnyx-oauth-mcp login --api-key < keyfile) or type it when asked")
	case len(key) > maxKeyLength:
		return "", fmt.Errorf("the API key is longer than %d characters", maxKeyLength)
	case strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return "", errors.New("the API key contains spaces or control characters")
	}
	return key, nil
}
