package media

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// rangeSkipMax is how far forward a seek reads and discards on the open
// connection instead of starting a new request.
const rangeSkipMax = 128 << 10

// rangeRetries is how many times in a row a connection that broke (reset,
// idle timeout, closed early) is reopened at the offset reached before the
// error is the track's; any byte read resets the count.
const rangeRetries = 3

// RangeReader makes a remote resource of known size an io.ReadSeekCloser
// by reopening it at an offset (an HTTP range request) when a read follows
// a seek. Short forward seeks read through instead. A connection that
// breaks mid-file is reopened where it stopped, as lavaplayer's persistent
// HTTP stream does, so a reset does not end the track. It is what Open needs
// to seek in, and measure, remote files; source.Loader.Open fits open:
//
//	media.NewRangeReader(size, func(off int64) (io.ReadCloser, error) {
//		rc, _, err := loader.Open(ctx, info, off)
//		return rc, err
//	})
//
// It is not safe for concurrent use.
type RangeReader struct {
	open   func(offset int64) (io.ReadCloser, error)
	size   int64
	rc     io.ReadCloser
	rcPos  int64 // offset of rc's next byte
	pos    int64 // logical offset
	closed bool
	opens  int
	fails  int // consecutive broken connections without progress
}

// ErrBadSeek is returned by RangeReader.Seek for offsets outside the
// resource.
var ErrBadSeek = errors.New("media: seek outside the resource")

// NewRangeReader returns a reader over size bytes that calls open(offset)
// for the bytes from offset on. open(0) is not called until the first read.
func NewRangeReader(size int64, open func(offset int64) (io.ReadCloser, error)) *RangeReader {
	return &RangeReader{open: open, size: size}
}

// Read reads from the current offset, (re)opening the resource as needed.
func (r *RangeReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.rc != nil && r.pos != r.rcPos {
		if d := r.pos - r.rcPos; d > 0 && d <= rangeSkipMax {
			n, err := io.CopyN(io.Discard, r.rc, d)
			r.rcPos += n
			if err != nil {
				r.drop()
			}
		} else {
			r.drop()
		}
	}
	for {
		n, err := r.readOnce(p)
		if n > 0 {
			r.fails = 0
			return n, nil // report a break on the next call, after a retry
		}
		if err == nil || err == io.EOF || r.closed || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return n, err
		}
		r.drop()
		if r.fails++; r.fails > rangeRetries {
			return 0, err
		}
	}
}

// readOnce reads from the open connection, opening one first if needed.
func (r *RangeReader) readOnce(p []byte) (int, error) {
	if r.rc == nil {
		rc, err := r.open(r.pos)
		if err != nil {
			return 0, err
		}
		r.rc, r.rcPos = rc, r.pos
		r.opens++
	}
	p = p[:min(int64(len(p)), r.size-r.pos)]
	n, err := r.rc.Read(p)
	r.pos += int64(n)
	r.rcPos += int64(n)
	if err == io.EOF && r.pos < r.size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && n > 0 {
		r.drop() // the next Read reopens at pos
	}
	return n, err
}

func (r *RangeReader) drop() {
	if r.rc != nil {
		r.rc.Close()
		r.rc = nil
	}
}

// Seek sets the offset; nothing is requested until the next Read.
func (r *RangeReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	}
	if offset < 0 || offset > r.size {
		return 0, fmt.Errorf("%w: %d of %d", ErrBadSeek, offset, r.size)
	}
	r.pos = offset
	return offset, nil
}

// Close closes the open connection, if any. It is idempotent.
func (r *RangeReader) Close() error {
	r.closed = true
	r.drop()
	return nil
}
