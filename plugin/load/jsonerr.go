package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// readableJSONError rewrites a decoding error that names Go types
// ("json: cannot unmarshal string into Go struct field
// NetworkPolicySpec.spec.podSelector of type v1.LabelSelector") into one
// that names the field and what it must hold ("spec.podSelector: expected
// a mapping, not a string"); other errors are returned as they are.
func readableJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	got := jsonValueName(te.Value)
	want := goTypeName(te.Type)
	msg := fmt.Sprintf("expected %s, not %s", want, got)
	if te.Value == "bool" && want == "a string" {
		msg += ` (YAML reads y, n, yes, no, on, off, true and false unquoted as booleans: quote the value)`
	}
	if field := strings.TrimPrefix(te.Field, "."); field != "" {
		return fmt.Errorf("%s: %s", field, msg)
	}
	return errors.New(msg)
}

// jsonValueName names the JSON value encoding/json describes as v.
func jsonValueName(v string) string {
	switch {
	case v == "string":
		return "a string"
	case v == "object":
		return "a mapping"
	case v == "array":
		return "a list"
	case v == "bool":
		return "a boolean"
	case v == "number":
		return "a number"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	}
	return v
}

// goTypeName says in JSON terms what a Go type decodes from.
func goTypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}
