package dave

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/audionode/audionode/node/mls"
)

// Frame transform constants.
const (
	// MaxOverhead is the room Encrypt needs in dst beyond the frame: GCM
	// writes the full 16-byte tag before the footer (8-byte tag, ≤5-byte
	// nonce, size byte, marker: at most 16 bytes) overwrites it.
	MaxOverhead = fullTagLen
	tagLen      = 8
	fullTagLen  = 16
	marker      = 0xFAFA
	// ExporterLabel is the MLS exporter label for sender base secrets.
	ExporterLabel = "Discord Secure Frames v0"
	keySize       = 16
	nonceSize     = 12
)

// Errors returned by the frame transform.
var (
	// ErrShortBuffer means dst cannot hold the output.
	ErrShortBuffer = errors.New("dave: destination buffer too small")
	// ErrNotReady means no send key is installed yet; the frame must not be sent.
	ErrNotReady = errors.New("dave: no send key installed")
	// ErrFrame means a received frame is not a valid DAVE frame.
	ErrFrame = errors.New("dave: malformed frame")
	// ErrAuth means a frame failed authentication.
	ErrAuth = errors.New("dave: frame authentication failed")
)

// silence is the Opus silence frame receivers pass through unencrypted.
var silence = [3]byte{0xF8, 0xFF, 0xFE}

// SenderBaseSecret derives a sender's 16-byte ratchet base from the MLS
// exporter secret (context: user id, little-endian).
func SenderBaseSecret(exporterSecret []byte, userID uint64) []byte {
	ctx := binary.LittleEndian.AppendUint64(nil, userID)
	return mls.Export(exporterSecret, ExporterLabel, ctx, keySize)
}

// KeyRatchet is the per-sender hash ratchet (mlspp HashRatchet): it yields
// the AES key of each generation, moving forward only.
type KeyRatchet struct {
	secret     []byte
	generation uint32
}

// NewKeyRatchet starts a ratchet at generation 0 from a base secret.
func NewKeyRatchet(base []byte) *KeyRatchet {
	return &KeyRatchet{secret: append([]byte{}, base...)}
}

// Key returns the key for generation g ≥ the current generation.
func (r *KeyRatchet) Key(g uint32) ([]byte, error) {
	if g < r.generation {
		return nil, fmt.Errorf("dave: generation %d already erased (at %d)", g, r.generation)
	}
	for r.generation < g {
		next := mls.DeriveTreeSecret(r.secret, "secret", r.generation, 32)
		clear(r.secret)
		r.secret = next
		r.generation++
	}
	return mls.DeriveTreeSecret(r.secret, "key", g, keySize), nil
}

// Zero erases the ratchet secret.
func (r *KeyRatchet) Zero() { clear(r.secret) }

// sendKey is the state of one epoch's sender key. It is owned by the
// goroutine that calls Encrypt once installed.
type sendKey struct {
	ratchet    *KeyRatchet
	key        []byte
	aead       cipher.AEAD
	generation uint64
	counter    uint64 // full nonce counter; the wire carries its low 32 bits
	nonce      [nonceSize]byte
	// claimed is won by whoever owns the key next: the send loop adopting
	// it, or SetKey/Close retiring it before the send loop saw it.
	claimed atomic.Bool
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func (k *sendKey) zero() {
	k.ratchet.Zero()
	clear(k.key)
}

// Encryptor encrypts outgoing Opus frames. Encrypt is called from one
// goroutine (the send loop); SetKey/SetPassthrough may be called from any
// other goroutine and take effect on the next frame.
type Encryptor struct {
	next        atomic.Pointer[sendKey] // installed by the control side
	passthrough atomic.Bool
	cur         *sendKey // send-loop owned
}

// SetKey installs the sender key for a new epoch from its ratchet base
// secret; the nonce counter restarts.
func (e *Encryptor) SetKey(base []byte) error {
	r := NewKeyRatchet(base)
	key, err := r.Key(0)
	if err != nil {
		return err
	}
	a, err := newGCM(key)
	if err != nil {
		return err
	}
	if old := e.next.Swap(&sendKey{ratchet: r, key: key, aead: a}); old != nil && old.claimed.CompareAndSwap(false, true) {
		old.zero() // never used by the send loop
	}
	e.passthrough.Store(false)
	return nil
}

// SetPassthrough makes Encrypt copy frames unchanged (protocol version 0 or a downgrade).
func (e *Encryptor) SetPassthrough(on bool) { e.passthrough.Store(on) }

// Ready reports whether frames may be sent: a key is installed or the
// session is in passthrough.
func (e *Encryptor) Ready() bool { return e.passthrough.Load() || e.next.Load() != nil }

// Encrypt writes the DAVE transform of frame into dst and returns its
// length. dst must hold len(frame)+MaxOverhead bytes. It allocates nothing
// except when a key generation rolls over (every 2^24 frames).
func (e *Encryptor) Encrypt(dst, frame []byte) (int, error) {
	if e.passthrough.Load() {
		if len(dst) < len(frame) {
			return 0, ErrShortBuffer
		}
		return copy(dst, frame), nil
	}
	k := e.next.Load()
	for k != e.cur {
		if k == nil {
			return 0, ErrNotReady
		}
		if !k.claimed.CompareAndSwap(false, true) {
			// SetKey retired it before we got to it; a newer key is installed.
			k = e.next.Load()
			continue
		}
		if e.cur != nil {
			e.cur.zero()
		}
		e.cur = k
	}
	if k == nil {
		return 0, ErrNotReady
	}
	if len(frame) == len(silence) && [3]byte(frame) == silence {
		if len(dst) < len(frame) {
			return 0, ErrShortBuffer
		}
		return copy(dst, frame), nil
	}
	if len(dst) < len(frame)+MaxOverhead {
		return 0, ErrShortBuffer
	}
	// libdave pre-increments: the first frame of a key uses nonce 1.
	k.counter++
	if g := k.counter >> 24; g != k.generation {
		key, err := k.ratchet.Key(uint32(g))
		if err != nil {
			return 0, err
		}
		a, err := newGCM(key)
		if err != nil {
			return 0, err
		}
		clear(k.key)
		k.key, k.aead, k.generation = key, a, g
	}
	truncated := uint32(k.counter)
	binary.LittleEndian.PutUint32(k.nonce[8:], truncated)
	// Seal with the full tag, then keep 8 bytes of it; the footer
	// overwrites the rest.
	k.aead.Seal(dst[:0], k.nonce[:], frame, nil)
	n := len(frame) + tagLen
	start := n
	n += putULEB128(dst[n:], uint64(truncated))
	dst[n] = byte(n - start + tagLen + 1 + 2)
	n++
	dst[n], dst[n+1] = marker>>8, marker&0xff
	return n + 2, nil
}

// Close erases the key material the encryptor holds. Call it after the
// send loop has stopped.
func (e *Encryptor) Close() {
	if k := e.next.Swap(nil); k != nil && k.claimed.CompareAndSwap(false, true) {
		k.zero()
	}
	if e.cur != nil {
		e.cur.zero()
		e.cur = nil
	}
}

func putULEB128(b []byte, v uint64) int {
	i := 0
	for v >= 0x80 {
		b[i] = byte(v) | 0x80
		v >>= 7
		i++
	}
	b[i] = byte(v)
	return i + 1
}

func readULEB128(b []byte) (uint64, int, bool) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

// Footer is the parsed trailer of a DAVE frame.
type Footer struct {
	Ciphertext []byte
	Tag        []byte
	Nonce      uint32
}

// ParseFrame splits a DAVE frame into ciphertext, truncated tag and nonce.
// It accepts only Opus frames (no unencrypted ranges).
func ParseFrame(frame []byte) (Footer, error) {
	if len(frame) < 2+1+1+tagLen || frame[len(frame)-2] != 0xFA || frame[len(frame)-1] != 0xFA {
		return Footer{}, ErrFrame
	}
	supp := int(frame[len(frame)-3])
	if supp < tagLen+1+1+2 || supp > len(frame) {
		return Footer{}, ErrFrame
	}
	s := frame[len(frame)-supp:]
	nonce, n, ok := readULEB128(s[tagLen : supp-3])
	if !ok || n != supp-3-tagLen || nonce > 0xFFFFFFFF {
		// A non-empty remainder would be unencrypted ranges, which Opus frames never have.
		return Footer{}, ErrFrame
	}
	return Footer{Ciphertext: frame[:len(frame)-supp], Tag: s[:tagLen], Nonce: uint32(nonce)}, nil
}

// Decryptor decrypts one sender's frames for a single epoch. It is meant
// for tests and receivers; it allocates.
type Decryptor struct {
	ratchet *KeyRatchet
	keys    map[uint32]cipher.AEAD
	block   map[uint32]cipher.Block
	seen    map[uint32]bool
	highest uint32
}

// NewDecryptor returns a decryptor for the sender whose base secret is given.
func NewDecryptor(base []byte) *Decryptor {
	return &Decryptor{ratchet: NewKeyRatchet(base), keys: map[uint32]cipher.AEAD{}, block: map[uint32]cipher.Block{}, seen: map[uint32]bool{}}
}

// maxGenerationGap mirrors libdave's receiver limit.
const (
	maxGenerationGap = 250
	maxMissing       = 1000
)

// Decrypt returns the Opus frame inside a DAVE frame. The silence frame
// passes through. Replays are rejected.
func (d *Decryptor) Decrypt(frame []byte) ([]byte, error) {
	if len(frame) == len(silence) && [3]byte(frame) == silence {
		return append([]byte{}, frame...), nil
	}
	f, err := ParseFrame(frame)
	if err != nil {
		return nil, err
	}
	g := f.Nonce >> 24
	a, ok := d.keys[g]
	if !ok {
		if g < d.ratchet.generation || g-d.ratchet.generation > maxGenerationGap {
			return nil, fmt.Errorf("%w: generation %d", ErrFrame, g)
		}
		key, err := d.ratchet.Key(g)
		if err != nil {
			return nil, err
		}
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		a, _ = cipher.NewGCM(b)
		d.keys[g], d.block[g] = a, b
	}
	if d.seen[f.Nonce] || (d.highest > maxMissing && f.Nonce < d.highest-maxMissing) {
		return nil, fmt.Errorf("%w: replayed nonce %d", ErrAuth, f.Nonce)
	}
	var nonce [nonceSize]byte
	binary.LittleEndian.PutUint32(nonce[8:], f.Nonce)
	// Go's GCM cannot check an 8-byte tag, so decrypt with the GCM counter
	// stream (J0+1 onwards) and re-seal to compare the truncated tag.
	var iv [16]byte
	copy(iv[:], nonce[:])
	iv[15] = 2
	pt := make([]byte, len(f.Ciphertext))
	cipher.NewCTR(d.block[g], iv[:]).XORKeyStream(pt, f.Ciphertext)
	sealed := a.Seal(nil, nonce[:], pt, nil)
	if subtle.ConstantTimeCompare(sealed[len(pt):len(pt)+tagLen], f.Tag) != 1 ||
		subtle.ConstantTimeCompare(sealed[:len(pt)], f.Ciphertext) != 1 {
		return nil, ErrAuth
	}
	d.seen[f.Nonce] = true
	if f.Nonce > d.highest {
		d.highest = f.Nonce
	}
	if len(d.seen) > 2*maxMissing {
		for n := range d.seen {
			if d.highest > maxMissing && n < d.highest-maxMissing {
				delete(d.seen, n)
			}
		}
	}
	return pt, nil
}
