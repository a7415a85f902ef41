package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
)

// Bounds of the ICY protocol: the metadata length byte counts 16-byte
// units, so a block is at most 16·255 bytes; a sane metaint is far below
// maxMetaInt (servers use 8–64 KiB).
const (
	maxICYBlock = 16 * 255
	maxMetaInt  = 1 << 20
)

// icyReader strips the metadata blocks an Icecast/SHOUTcast server puts
// into the body when the request carries "Icy-MetaData: 1": after every
// metaInt audio bytes come one length byte L and 16·L bytes of metadata
// (StreamTitle='…';StreamUrl='…';, NUL padded). Only audio bytes pass
// through, so a title change never reaches the decoder.
type icyReader struct {
	rc      io.ReadCloser
	metaInt int
	left    int // audio bytes before the next metadata block
	meta    [maxICYBlock]byte
	title   atomic.Pointer[string]
	link    string // for the log line
}

// newICYReader wraps rc; metaint is the icy-metaint response header.
func newICYReader(rc io.ReadCloser, metaint string, link string) (*icyReader, error) {
	n, err := strconv.Atoi(strings.TrimSpace(metaint))
	if err != nil || n <= 0 || n > maxMetaInt {
		return nil, fmt.Errorf("%w: icy-metaint %q", ErrBadICY, metaint)
	}
	return &icyReader{rc: rc, metaInt: n, left: n, link: link}, nil
}

// Title is the last StreamTitle the server sent ("" before the first).
// Safe from any goroutine.
func (r *icyReader) Title() string {
	if t := r.title.Load(); t != nil {
		return *t
	}
	return ""
}

func (r *icyReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.left == 0 {
		if err := r.readMeta(); err != nil {
			return 0, err
		}
		r.left = r.metaInt
	}
	if len(p) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= n
	return n, err
}

func (r *icyReader) readMeta() error {
	var l [1]byte
	if _, err := io.ReadFull(r.rc, l[:]); err != nil {
		return err
	}
	n := int(l[0]) * 16
	if n == 0 {
		return nil
	}
	if _, err := io.ReadFull(r.rc, r.meta[:n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	t, ok := streamTitle(r.meta[:n])
	if !ok {
		return nil
	}
	if old := r.title.Load(); old != nil && *old == string(t) {
		return nil // no allocation while the title stays
	}
	s := string(t)
	r.title.Store(&s)
	slog.Debug("source: icy title", "url", r.link, "title", s)
	return nil
}

func (r *icyReader) Close() error { return r.rc.Close() }

// streamTitle extracts the value of StreamTitle='…'; from a metadata
// block. Titles may contain quotes, so the value ends at the first "';"
// (or the last quote of the block).
func streamTitle(m []byte) ([]byte, bool) {
	m = bytes.TrimRight(m, "\x00")
	const key = "StreamTitle='"
	i := bytes.Index(m, []byte(key))
	if i < 0 {
		return nil, false
	}
	v := m[i+len(key):]
	if j := bytes.Index(v, []byte("';")); j >= 0 {
		return v[:j], true
	}
	if j := bytes.LastIndexByte(v, '\''); j >= 0 {
		return v[:j], true
	}
	return v, true
}

// icyDial wraps every connection of the shared transport in an icyConn;
// the guard and the route planner still pick and check the peer.
func icyDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &icyConn{Conn: c}, nil
	}
}

// icyConn lets net/http read SHOUTcast v1 answers: their status line is
// "ICY 200 OK", which the HTTP client rejects, so the first bytes of the
// connection are rewritten to "HTTP/1.0 …". ICY servers close the
// connection after the stream, so only a connection's first response can
// be one. TLS connections never start with "ICY " and pass untouched.
type icyConn struct {
	net.Conn
	checked atomic.Bool // the first bytes were looked at (Read runs on one goroutine)
	pend    []byte
	buf     [9]byte
}

func (c *icyConn) Read(p []byte) (int, error) {
	if len(c.pend) > 0 {
		n := copy(p, c.pend)
		c.pend = c.pend[n:]
		return n, nil
	}
	if c.checked.Load() {
		return c.Conn.Read(p)
	}
	c.checked.Store(true)
	var head [4]byte
	got := 0
	var err error
	for got < len(head) {
		var n int
		n, err = c.Conn.Read(head[got:])
		got += n
		if err != nil || !bytes.HasPrefix([]byte("ICY "), head[:got]) {
			break
		}
	}
	if got == len(head) && string(head[:]) == "ICY " {
		c.pend = append(c.buf[:0], "HTTP/1.0 "...)
	} else {
		c.pend = append(c.buf[:0], head[:got]...)
	}
	n := copy(p, c.pend)
	c.pend = c.pend[n:]
	if n == 0 {
		return 0, err
	}
	return n, nil // a read error comes back on the next call
}
