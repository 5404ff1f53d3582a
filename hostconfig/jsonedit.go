package hostconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// member is one member of a JSON object, its value kept as the bytes it
// had, so that editing one member leaves the others exactly as they were.
type member struct {
	key string
	raw json.RawMessage
}

// object is a JSON object with its member order.
type object []member

var errNotObject = errors.New("not a JSON object")

// parseObject reads a JSON object, keeping member order and raw values. It
// refuses anything that is not plain JSON (comments, trailing commas) and
// duplicate keys, whose meaning differs between readers.
func parseObject(data []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	var out object
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		if seen[key] {
			return nil, fmt.Errorf("the key %q appears twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, raw: raw})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return out, nil
}

func (o object) index(key string) int {
	for i, m := range o {
		if m.key == key {
			return i
		}
	}
	return -1
}

func (o object) get(key string) (json.RawMessage, bool) {
	if i := o.index(key); i >= 0 {
		return o[i].raw, true
	}
	return nil, false
}

// set replaces key's value in place, or appends the member.
func (o object) set(key string, raw json.RawMessage) object {
	if i := o.index(key); i >= 0 {
		o[i].raw = raw
		return o
	}
	return append(o, member{key: key, raw: raw})
}

// setFirst replaces key's value in place, or inserts the member first.
func (o object) setFirst(key string, raw json.RawMessage) object {
	if i := o.index(key); i >= 0 {
		o[i].raw = raw
		return o
	}
	return append(object{{key: key, raw: raw}}, o...)
}

func (o object) remove(key string) object {
	if i := o.index(key); i >= 0 {
		return append(o[:i:i], o[i+1:]...)
	}
	return o
}

// encode writes the object compactly; indentation is applied to the whole
// document at the end.
func (o object) encode() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshal(m.key))
		b.WriteByte(':')
		b.Write(m.raw)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// marshal encodes v without HTML escaping (paths and URLs stay readable).
func marshal(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("hostconfig: encoding a plain value: " + err.Error())
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// sameJSON reports whether two JSON texts have the same value.
func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// format indents a compact document with the file's own indent unit and
// line endings, and ends it with a newline.
func format(doc json.RawMessage, original []byte) ([]byte, error) {
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, doc); err != nil {
		return nil, err
	}
	if err := json.Indent(&out, compact.Bytes(), "", indentOf(original)); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	if bytes.Contains(original, []byte("\r\n")) {
		return bytes.ReplaceAll(out.Bytes(), []byte("\n"), []byte("\r\n")), nil
	}
	return out.Bytes(), nil
}

// indentOf finds the indent unit of a JSON file: the whitespace before the
// first member on its own line. Two spaces when there is none.
func indentOf(data []byte) string {
	for i := 0; i < len(data); i++ {
		if data[i] != '\n' {
			continue
		}
		j := i + 1
		for j < len(data) && (data[j] == ' ' || data[j] == '\t') {
			j++
		}
		if j > i+1 && j < len(data) && data[j] == '"' {
			return string(data[i+1 : j])
		}
	}
	return "  "
}
