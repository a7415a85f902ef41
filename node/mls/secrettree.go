package mls

import (
	"errors"
	"fmt"
)

// ErrGeneration means a message used a ratchet generation we cannot serve.
var ErrGeneration = errors.New("mls: ratchet generation unavailable")

// maxForwardRatchet bounds how far a receiver ratchets ahead for one message.
const maxForwardRatchet = 1024

// ratchet is one hash ratchet of the secret tree (RFC 9420 §9.1).
type ratchet struct {
	secret     []byte
	generation uint32
}

func (r *ratchet) keyNonce() (key, nonce []byte) {
	return DeriveTreeSecret(r.secret, "key", r.generation, keyLen), DeriveTreeSecret(r.secret, "nonce", r.generation, nonceLen)
}

func (r *ratchet) advance() {
	next := DeriveTreeSecret(r.secret, "secret", r.generation, hashLen)
	zero(r.secret)
	r.secret = next
	r.generation++
}

// get returns the key and nonce for generation g, ratcheting forward.
// Earlier generations are not kept, which is enough for in-order delivery.
func (r *ratchet) get(g uint32) (key, nonce []byte, err error) {
	if g < r.generation || g-r.generation > maxForwardRatchet {
		return nil, nil, fmt.Errorf("%w: %d (at %d)", ErrGeneration, g, r.generation)
	}
	for r.generation < g {
		r.advance()
	}
	key, nonce = r.keyNonce()
	return key, nonce, nil
}

// secretTree derives per-leaf handshake and application ratchets.
type secretTree struct {
	root    []byte
	nLeaves uint32
	hs      map[uint32]*ratchet
	app     map[uint32]*ratchet
}

func newSecretTree(encryptionSecret []byte, nLeaves uint32) *secretTree {
	return &secretTree{
		root:    append([]byte{}, encryptionSecret...),
		nLeaves: nLeaves,
		hs:      map[uint32]*ratchet{},
		app:     map[uint32]*ratchet{},
	}
}

func (t *secretTree) leafSecret(leaf uint32) []byte {
	target := leafNode(leaf)
	x := root(t.nLeaves)
	s := t.root
	for x != target {
		if target < x {
			s = ExpandWithLabel(s, "tree", []byte("left"), hashLen)
			x = left(x)
		} else {
			s = ExpandWithLabel(s, "tree", []byte("right"), hashLen)
			x = right(x)
		}
	}
	return s
}

func (t *secretTree) ratchets(leaf uint32) (hs, app *ratchet, err error) {
	if leaf >= t.nLeaves {
		return nil, nil, fmt.Errorf("%w: leaf %d outside tree", ErrInvalid, leaf)
	}
	if r, ok := t.hs[leaf]; ok {
		return r, t.app[leaf], nil
	}
	ls := t.leafSecret(leaf)
	hs = &ratchet{secret: ExpandWithLabel(ls, "handshake", nil, hashLen)}
	app = &ratchet{secret: ExpandWithLabel(ls, "application", nil, hashLen)}
	t.hs[leaf], t.app[leaf] = hs, app
	return hs, app, nil
}

// senderDataKeyNonce derives the sender-data AEAD key and nonce (§6.3.2).
func senderDataKeyNonce(senderDataSecret, ciphertext []byte) (key, nonce []byte) {
	sample := ciphertext
	if len(sample) > hashLen {
		sample = sample[:hashLen]
	}
	return ExpandWithLabel(senderDataSecret, "key", sample, keyLen), ExpandWithLabel(senderDataSecret, "nonce", sample, nonceLen)
}
