package media

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// bufSize is the read-ahead of the buffered input: a few Ogg pages.
const bufSize = 64 << 10

// input is a buffered reader that knows its byte offset and, when the
// source is an io.Seeker, can seek (dropping the buffer) and report the
// size.
type input struct {
	rs   io.ReadSeeker // nil when not seekable
	br   *bufio.Reader
	pos  int64 // offset of the next byte br returns
	size int64 // -1 when unknown
}

func newInput(r io.Reader) *input {
	in := &input{br: bufio.NewReaderSize(r, bufSize), size: -1}
	if rs, ok := r.(io.ReadSeeker); ok {
		cur, err := rs.Seek(0, io.SeekCurrent)
		end, err2 := rs.Seek(0, io.SeekEnd)
		if err == nil && err2 == nil {
			if _, err := rs.Seek(cur, io.SeekStart); err == nil {
				in.rs = rs
				in.pos = cur
				in.size = end
			}
		}
	}
	return in
}

func (in *input) seekable() bool { return in.rs != nil }

func (in *input) Read(p []byte) (int, error) {
	n, err := in.br.Read(p)
	in.pos += int64(n)
	return n, err
}

// readFull is io.ReadFull that reports a short read as ErrUnexpectedEOF.
func (in *input) readFull(p []byte) error {
	n, err := io.ReadFull(in.br, p)
	in.pos += int64(n)
	return err
}

func (in *input) peek(n int) ([]byte, error) { return in.br.Peek(n) }

// skip discards n bytes, seeking when that is cheaper than reading.
func (in *input) skip(n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: negative skip", ErrMalformed)
	}
	if in.rs != nil && n > int64(in.br.Buffered()) {
		return in.seek(in.pos + n)
	}
	for n > 0 {
		k := int(min(n, 1<<30))
		d, err := in.br.Discard(k)
		in.pos += int64(d)
		n -= int64(d)
		if err != nil {
			return err
		}
	}
	return nil
}

var errNotSeekable = errors.New("input is not seekable")

// seek moves to the absolute offset off.
func (in *input) seek(off int64) error {
	if in.rs == nil {
		return errNotSeekable
	}
	if off < 0 || (in.size >= 0 && off > in.size) {
		return fmt.Errorf("%w: seek to %d outside 0..%d", ErrMalformed, off, in.size)
	}
	// Stay in the buffer when the target is within it.
	if d := off - in.pos; d >= 0 && d <= int64(in.br.Buffered()) {
		k, _ := in.br.Discard(int(d))
		in.pos += int64(k)
		return nil
	}
	if _, err := in.rs.Seek(off, io.SeekStart); err != nil {
		return err
	}
	in.br.Reset(in.rs)
	in.pos = off
	return nil
}

// Seek makes input an io.ReadSeeker for third-party decoders.
func (in *input) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += in.pos
	case io.SeekEnd:
		if in.size < 0 {
			return 0, errNotSeekable
		}
		offset += in.size
	}
	if err := in.seek(offset); err != nil {
		return 0, err
	}
	return in.pos, nil
}
