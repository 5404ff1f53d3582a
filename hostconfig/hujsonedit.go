package hostconfig

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/tailscale/hujson"
)

// A host's file is edited as the person (or the host) wrote it: VS Code's
// mcp.json and many hand-edited files have comments and trailing commas
// (HuJSON, https://github.com/tailscale/hujson). hujson keeps every byte
// outside the members it is told to change, so comments, trailing commas,
// other servers and their layout stay exactly as they were, and only the
// server's own entry is added or replaced.

// hostFile is a parsed host file.
type hostFile struct {
	root hujson.Value
	src  []byte // the text parsed (without a BOM)
	nl   string // the file's line ending
}

func parseHostFile(src []byte) (*hostFile, error) {
	v, err := hujson.Parse(src)
	if err != nil {
		return nil, err
	}
	if _, ok := v.Value.(*hujson.Object); !ok {
		return nil, errNotObject
	}
	nl := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		nl = "\r\n"
	}
	return &hostFile{root: v, src: src, nl: nl}, nil
}

// findMember finds name in obj. Two members of the same name are an error: readers
// disagree on which one counts.
func findMember(obj *hujson.Object, name string) (*hujson.ObjectMember, error) {
	var found *hujson.ObjectMember
	for i := range obj.Members {
		lit, ok := obj.Members[i].Name.Value.(hujson.Literal)
		if !ok || lit.String() != name {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("the key %q appears twice", name)
		}
		found = &obj.Members[i]
	}
	return found, nil
}

// standard is a HuJSON value as plain JSON, for reading.
func standard(v hujson.Value) []byte {
	v = v.Clone()
	v.Standardize()
	return v.Pack()
}

// lineIndent is the whitespace at the start of the line holding offset.
func (f *hostFile) lineIndent(offset int) string {
	start := bytes.LastIndexByte(f.src[:offset], '\n') + 1
	end := start
	for end < len(f.src) && (f.src[end] == ' ' || f.src[end] == '\t') {
		end++
	}
	return string(f.src[start:end])
}

// render lays out a plain JSON value the way the file around it is laid
// out: on several lines indented from prefix, or on one line.
func (f *hostFile) render(raw json.RawMessage, prefix string, multiline bool) (hujson.Value, error) {
	var b bytes.Buffer
	if multiline {
		if err := json.Indent(&b, raw, prefix, indentOf(f.src)); err != nil {
			return hujson.Value{}, err
		}
	} else {
		// One line, with a space after each colon and comma, like
		// `{"command": "npx", "args": []}`. Raw newlines cannot occur
		// inside JSON strings, so joining the lines is safe.
		if err := json.Indent(&b, raw, "", ""); err != nil {
			return hujson.Value{}, err
		}
		one := bytes.ReplaceAll(b.Bytes(), []byte(",\n"), []byte(", "))
		b.Reset()
		b.Write(bytes.ReplaceAll(one, []byte("\n"), nil))
	}
	text := bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte(f.nl))
	return hujson.Parse(text)
}

// put adds name: raw to obj, after its last member, or replaces the value of
// the member of that name. objOffset is where obj starts in the file.
func (f *hostFile) put(obj *hujson.Object, objOffset int, name string, raw json.RawMessage) error {
	m, err := findMember(obj, name)
	if err != nil {
		return err
	}
	if m != nil {
		// Keep the member's place, name and surrounding bytes; lay the
		// new value out as the old one was (one line or several).
		old := f.src[m.Value.StartOffset:m.Value.EndOffset]
		v, err := f.render(raw, f.lineIndent(m.Name.StartOffset), bytes.Contains(old, []byte("\n")))
		if err != nil {
			return err
		}
		m.Value.Value = v.Value
		return nil
	}

	// A new member: on its own line, indented like its siblings, unless
	// the object is written on one line.
	var indent string
	multiline := true
	switch n := len(obj.Members); {
	case n == 0:
		indent = f.lineIndent(objOffset) + indentOf(f.src)
		if !bytes.Contains(obj.AfterExtra, []byte("\n")) {
			obj.AfterExtra = append([]byte(f.nl+f.lineIndent(objOffset)), obj.AfterExtra...)
		}
	case bytes.Contains(obj.Members[n-1].Name.BeforeExtra, []byte("\n")):
		indent = f.lineIndent(obj.Members[n-1].Name.StartOffset)
	default:
		multiline = false
	}
	v, err := f.render(raw, indent, multiline)
	if err != nil {
		return err
	}
	before := []byte(" ")
	if multiline {
		before = []byte(f.nl + indent)
	}
	nm := hujson.ObjectMember{
		Name:  hujson.Value{BeforeExtra: before, Value: hujson.String(name)},
		Value: hujson.Value{BeforeExtra: []byte(" "), Value: v.Value},
	}
	if n := len(obj.Members); n > 0 && obj.Members[n-1].Value.AfterExtra != nil {
		nm.Value.AfterExtra = []byte{} // the file ends its lists with a comma; so does the new last member
	}
	obj.Members = append(obj.Members, nm)
	return nil
}

// servers is the host's object of servers, or nil when the file has none.
func (f *hostFile) servers(key string) (*hujson.Object, int, error) {
	root := f.root.Value.(*hujson.Object)
	m, err := findMember(root, key)
	if err != nil || m == nil {
		return nil, 0, err
	}
	obj, ok := m.Value.Value.(*hujson.Object)
	if !ok {
		return nil, 0, fmt.Errorf("%q is not a JSON object", key)
	}
	return obj, m.Value.StartOffset, nil
}

// entry is the server's entry as plain JSON, or nil.
func (f *hostFile) entry(key, name string) (json.RawMessage, error) {
	obj, _, err := f.servers(key)
	if err != nil || obj == nil {
		return nil, err
	}
	m, err := findMember(obj, name)
	if err != nil || m == nil {
		return nil, err
	}
	if _, ok := m.Value.Value.(*hujson.Object); !ok {
		return nil, fmt.Errorf("the %q entry is not a JSON object", name)
	}
	return standard(m.Value), nil
}

// setEntry adds or replaces the server's entry, adding the host's object of
// servers when the file has none.
func (f *hostFile) setEntry(key, name string, entry json.RawMessage) error {
	obj, offset, err := f.servers(key)
	if err != nil {
		return err
	}
	if obj != nil {
		return f.put(obj, offset, name, entry)
	}
	root := f.root.Value.(*hujson.Object)
	return f.put(root, f.root.StartOffset, key, object{}.set(name, entry).encode())
}

// bytes is the edited file.
func (f *hostFile) bytes() []byte { return f.root.Pack() }
