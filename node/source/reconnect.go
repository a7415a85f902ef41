package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Live streams (radio) have no offset to resume at: when their connection
// breaks, the link is requested again and playback carries on from the live
// edge, as lavaplayer's persistent HTTP stream does. A clean end (io.EOF)
// ends the track: a server that closes properly may be serving a finite
// body, which must not be replayed.
const (
	// streamRetries bounds reconnections in a row that bring no audio.
	streamRetries = 3
	// streamBackoff is the pause before a reconnection after a failed one.
	streamBackoff = 500 * time.Millisecond
	// streamProgress is how much audio a connection must deliver before
	// its reconnection no longer counts against streamRetries, so a
	// server that keeps answering with a short body cannot loop forever.
	streamProgress = 64 << 10
)

// liveStream is the body of a live HTTP stream with reconnection.
type liveStream struct {
	ctx    context.Context // ends a backoff wait
	cur    io.ReadCloser
	icy    atomic.Pointer[icyReader] // the current connection's, if ICY
	open   func() (io.ReadCloser, *icyReader, error)
	fails  int
	got    int64 // bytes from the current connection
	closed bool
}

func newLiveStream(ctx context.Context, rc io.ReadCloser, icy *icyReader, open func() (io.ReadCloser, *icyReader, error)) *liveStream {
	s := &liveStream{ctx: ctx, cur: rc, open: open}
	s.icy.Store(icy)
	return s
}

// Title is the current ICY StreamTitle ("" without ICY metadata).
func (s *liveStream) Title() string {
	if r := s.icy.Load(); r != nil {
		return r.Title()
	}
	return ""
}

func (s *liveStream) Read(p []byte) (int, error) {
	for {
		if s.closed {
			return 0, io.ErrClosedPipe
		}
		if s.cur == nil {
			if s.fails > 1 {
				t := time.NewTimer(time.Duration(s.fails-1) * streamBackoff)
				select {
				case <-t.C:
				case <-s.ctx.Done():
					t.Stop()
					return 0, s.ctx.Err()
				}
			}
			rc, icy, err := s.open()
			if err != nil {
				if isCancel(err) {
					return 0, err
				}
				if s.fails++; s.fails > streamRetries {
					return 0, fmt.Errorf("%w: %w", ErrStreamLost, err)
				}
				continue
			}
			s.cur, s.got = rc, 0
			s.icy.Store(icy)
		}
		n, err := s.cur.Read(p)
		s.got += int64(n)
		if s.got >= streamProgress {
			s.fails = 0
		}
		if err == nil {
			return n, nil
		}
		if isCancel(err) || err == io.EOF {
			return n, err
		}
		// Broken: reconnect on the next call (or now, if nothing came).
		_ = s.cur.Close()
		s.cur = nil
		if n > 0 {
			return n, nil
		}
		if s.fails++; s.fails > streamRetries {
			return 0, fmt.Errorf("%w: reconnected %d times without audio: %w", ErrStreamLost, streamRetries, err)
		}
	}
}

// Close closes the current connection; it is idempotent.
func (s *liveStream) Close() error {
	s.closed = true
	if s.cur != nil {
		err := s.cur.Close()
		s.cur = nil
		return err
	}
	return nil
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
