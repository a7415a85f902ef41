package lavalink

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Optional is a request field that may be absent. A JSON null is rejected
// with ErrNullValue, as the reference does for non-nullable fields. Use it
// with the `omitzero` tag option so an unset value is omitted when encoding.
type Optional[T any] struct {
	Value T
	Set   bool // the key was present
}

// Some returns a set Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{Value: v, Set: true} }

// Get returns the value and whether the key was present.
func (o Optional[T]) Get() (T, bool) { return o.Value, o.Set }

// IsZero reports whether the key is absent (used by `omitzero`).
func (o Optional[T]) IsZero() bool { return !o.Set }

// MarshalJSON encodes the value.
func (o Optional[T]) MarshalJSON() ([]byte, error) { return json.Marshal(o.Value) }

// UnmarshalJSON decodes a present key; null fails with ErrNullValue.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return ErrNullValue
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Optional[T]{Value: v, Set: true}
	return nil
}

// Nullable is a request field where absent, null and a value mean three
// different things (e.g. track.encoded: absent = unchanged, null = stop).
// Use it with the `omitzero` tag option.
type Nullable[T any] struct {
	Value T
	Set   bool // the key was present
	Null  bool // the key was present with the value null
}

// Null returns a Nullable that is set to null.
func Null[T any]() Nullable[T] { return Nullable[T]{Set: true, Null: true} }

// Value returns a Nullable set to v.
func Value[T any](v T) Nullable[T] { return Nullable[T]{Value: v, Set: true} }

// IsZero reports whether the key is absent (used by `omitzero`).
func (n Nullable[T]) IsZero() bool { return !n.Set }

// MarshalJSON encodes null or the value.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.Null {
		return []byte("null"), nil
	}
	return json.Marshal(n.Value)
}

// UnmarshalJSON decodes a present key, recording null.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*n = Nullable[T]{Set: true, Null: true}
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = Nullable[T]{Value: v, Set: true}
	return nil
}

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// Object is an arbitrary JSON object kept as raw bytes (pluginInfo,
// userData). An empty Object encodes as {} because the reference always
// writes these keys.
type Object json.RawMessage

// MarshalJSON writes the object, or {} when empty.
func (o Object) MarshalJSON() ([]byte, error) {
	if len(o) == 0 {
		return []byte("{}"), nil
	}
	return o, nil
}

// UnmarshalJSON accepts a JSON object; null leaves it empty.
func (o *Object) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if isNull(t) {
		*o = nil
		return nil
	}
	if len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%w: got %.20s", ErrNotObject, t)
	}
	*o = append((*o)[:0], t...)
	return nil
}
