package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
	sjson "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// reflector is the one place schemas are made from Go structs. Inputs and
// outputs are plain objects with no $ref (some clients do not resolve refs),
// unknown properties are refused, and required means "no omitempty".
var reflector = jsonschema.Reflector{ExpandedStruct: true, DoNotReference: true, Anonymous: true}

// schemaOf returns the JSON schema of T without the $schema member, which
// every client assumes anyway and which would cost bytes in every tools/list.
func schemaOf[T any]() json.RawMessage {
	s := reflector.Reflect(new(T))
	s.Version = ""
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err)) // a programming error, caught by the registry tests
	}
	return b
}

// argValidator checks tool arguments against the same schema tools/list
// advertises, so that what the model is told and what the server enforces
// cannot drift. It compiles on first use: start-up stays cheap.
type argValidator struct {
	schema json.RawMessage
	once   sync.Once
	sch    *sjson.Schema
	err    error
}

var printer = message.NewPrinter(language.English)

func (v *argValidator) validate(args []byte) error {
	v.once.Do(func() {
		doc, err := sjson.UnmarshalJSON(bytes.NewReader(v.schema))
		if err != nil {
			v.err = err
			return
		}
		c := sjson.NewCompiler()
		if err := c.AddResource("tool.json", doc); err != nil {
			v.err = err
			return
		}
		v.sch, v.err = c.Compile("tool.json")
	})
	if v.err != nil {
		return fmt.Errorf("compiling the input schema: %w", v.err)
	}
	inst, err := sjson.UnmarshalJSON(bytes.NewReader(args))
	if err != nil {
		return fmt.Errorf("arguments are not valid JSON: %v", err)
	}
	if err := v.sch.Validate(inst); err != nil {
		if ve, ok := err.(*sjson.ValidationError); ok {
			return fmt.Errorf("%s", describe(ve))
		}
		return err
	}
	return nil
}

// describe turns a validation error tree into one line per problem, each
// naming the argument: "page_size: maximum: got 500, want 100".
func describe(ve *sjson.ValidationError) string {
	var lines []string
	var walk func(e *sjson.ValidationError)
	walk = func(e *sjson.ValidationError) {
		if len(e.Causes) == 0 {
			where := strings.Join(e.InstanceLocation, ".")
			msg := e.ErrorKind.LocalizedString(printer)
			if _, ok := e.ErrorKind.(*kind.Pattern); ok {
				// Every pattern in these schemas is the path-value rule; its
				// regex, quoted back, helps nobody.
				msg = `must not contain "/", "?", "#", "%", "\" or whitespace`
			}
			if where != "" {
				msg = where + ": " + msg
			}
			lines = append(lines, msg)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(lines)
	lines = slices.Compact(lines)
	if len(lines) > 8 {
		lines = append(lines[:8], fmt.Sprintf("and %d more", len(lines)-8))
	}
	return strings.Join(lines, "; ")
}
