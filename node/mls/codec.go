package mls

import (
	"errors"
	"fmt"
)

// Codec errors.
var (
	// ErrTruncated means the input ended before a complete value was read.
	ErrTruncated = errors.New("mls: truncated input")
	// ErrVarint means a variable-length integer was malformed or non-minimal.
	ErrVarint = errors.New("mls: invalid varint")
	// ErrTrailing means bytes were left after a complete structure.
	ErrTrailing = errors.New("mls: trailing bytes")
	// ErrInvalid means a value was well-formed but not acceptable.
	ErrInvalid = errors.New("mls: invalid value")
)

// maxVector bounds any single vector we accept; DAVE messages are small.
const maxVector = 1 << 24

// Writer appends TLS presentation-language encodings to a byte slice.
type Writer struct {
	b []byte
}

// Bytes returns the encoded bytes.
func (w *Writer) Bytes() []byte { return w.b }

// U8 appends a uint8.
func (w *Writer) U8(v uint8) { w.b = append(w.b, v) }

// U16 appends a big-endian uint16.
func (w *Writer) U16(v uint16) { w.b = append(w.b, byte(v>>8), byte(v)) }

// U32 appends a big-endian uint32.
func (w *Writer) U32(v uint32) {
	w.b = append(w.b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// U64 appends a big-endian uint64.
func (w *Writer) U64(v uint64) {
	w.U32(uint32(v >> 32))
	w.U32(uint32(v))
}

// Varint appends an MLS variable-length integer (RFC 9420 §2.1.2).
func (w *Writer) Varint(v uint64) {
	w.b = appendVarint(w.b, v)
}

func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, 0x40|byte(v>>8), byte(v))
	default:
		// Callers never exceed 2^30; a longer vector cannot be encoded.
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// Opaque appends opaque<V>.
func (w *Writer) Opaque(p []byte) {
	w.Varint(uint64(len(p)))
	w.b = append(w.b, p...)
}

// Raw appends bytes with no length prefix.
func (w *Writer) Raw(p []byte) { w.b = append(w.b, p...) }

// Vector appends a varint-prefixed vector whose body is written by f.
func (w *Writer) Vector(f func(w *Writer)) {
	var inner Writer
	f(&inner)
	w.Opaque(inner.b)
}

// Optional appends an optional<T> presence byte and, if present, the value.
func (w *Writer) Optional(present bool, f func(w *Writer)) {
	if !present {
		w.U8(0)
		return
	}
	w.U8(1)
	f(w)
}

// Reader consumes TLS presentation-language encodings. The first error
// sticks; subsequent reads return zero values.
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a reader over b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first error encountered.
func (r *Reader) Err() error { return r.err }

// Fail records err if no error is recorded yet.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Empty reports whether all input was consumed.
func (r *Reader) Empty() bool { return len(r.b) == 0 }

// Rest returns the unread bytes.
func (r *Reader) Rest() []byte { return r.b }

// Finish returns an error if reading failed or bytes remain.
func (r *Reader) Finish() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return ErrTrailing
	}
	return nil
}

func (r *Reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = ErrTruncated
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

// U8 reads a uint8.
func (r *Reader) U8() uint8 {
	p := r.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

// U16 reads a big-endian uint16.
func (r *Reader) U16() uint16 {
	p := r.take(2)
	if p == nil {
		return 0
	}
	return uint16(p[0])<<8 | uint16(p[1])
}

// U32 reads a big-endian uint32.
func (r *Reader) U32() uint32 {
	p := r.take(4)
	if p == nil {
		return 0
	}
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}

// U64 reads a big-endian uint64.
func (r *Reader) U64() uint64 {
	hi := r.U32()
	lo := r.U32()
	return uint64(hi)<<32 | uint64(lo)
}

// Varint reads an MLS variable-length integer, rejecting non-minimal
// encodings and the reserved 0b11 prefix.
func (r *Reader) Varint() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = ErrTruncated
		return 0
	}
	prefix := r.b[0] >> 6
	if prefix == 3 {
		r.err = ErrVarint
		return 0
	}
	n := 1 << prefix
	p := r.take(n)
	if p == nil {
		return 0
	}
	v := uint64(p[0] & 0x3f)
	for _, c := range p[1:] {
		v = v<<8 | uint64(c)
	}
	if (n == 2 && v < 1<<6) || (n == 4 && v < 1<<14) {
		r.err = ErrVarint
		return 0
	}
	return v
}

// Opaque reads opaque<V>. The result aliases the input.
func (r *Reader) Opaque() []byte {
	n := r.Varint()
	if r.err != nil {
		return nil
	}
	if n > maxVector {
		r.err = fmt.Errorf("%w: vector of %d bytes", ErrInvalid, n)
		return nil
	}
	p := r.take(int(n))
	if p == nil {
		return nil
	}
	return p
}

// OpaqueCopy reads opaque<V> into a fresh slice.
func (r *Reader) OpaqueCopy() []byte {
	p := r.Opaque()
	if p == nil {
		return nil
	}
	return append([]byte{}, p...)
}

// Raw reads n bytes with no length prefix.
func (r *Reader) Raw(n int) []byte { return r.take(n) }

// Vector reads a varint-prefixed vector and calls f until its body is
// consumed. f must consume at least one byte per call.
func (r *Reader) Vector(f func(r *Reader)) {
	body := r.Opaque()
	if r.err != nil {
		return
	}
	inner := &Reader{b: body}
	for len(inner.b) > 0 && inner.err == nil {
		before := len(inner.b)
		f(inner)
		if inner.err == nil && len(inner.b) == before {
			inner.err = ErrInvalid
		}
	}
	if inner.err != nil {
		r.err = inner.err
	}
}

// Optional reads an optional<T> presence byte.
func (r *Reader) Optional() bool {
	switch r.U8() {
	case 0:
		return false
	case 1:
		return true
	default:
		r.Fail(fmt.Errorf("%w: optional presence byte", ErrInvalid))
		return false
	}
}
