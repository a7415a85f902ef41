package mls

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
)

// CipherSuite is the only suite implemented: MLS_128_DHKEMP256_AES128GCM_SHA256_P256.
const CipherSuite uint16 = 2

// ProtocolVersion is mls10.
const ProtocolVersion uint16 = 1

const (
	hashLen  = 32
	keyLen   = 16
	nonceLen = 12
)

// Crypto errors.
var (
	// ErrSignature means a signature did not verify.
	ErrSignature = errors.New("mls: bad signature")
	// ErrDecrypt means an AEAD or HPKE open failed.
	ErrDecrypt = errors.New("mls: decryption failed")
)

var hpkeKEM = hpke.DHKEM(ecdh.P256())

func hash(data ...[]byte) []byte {
	h := sha256.New()
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil)
}

func mac(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func extract(salt, ikm []byte) []byte {
	if salt == nil {
		salt = make([]byte, hashLen)
	}
	if ikm == nil {
		ikm = make([]byte, hashLen)
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		panic(err) // unreachable: SHA-256 extract cannot fail
	}
	return prk
}

func expand(secret []byte, info []byte, length int) []byte {
	out, err := hkdf.Expand(sha256.New, secret, string(info), length)
	if err != nil {
		panic(err) // unreachable for the lengths used here (≤ 255*32)
	}
	return out
}

// ExpandWithLabel is RFC 9420 §5.1 ExpandWithLabel.
func ExpandWithLabel(secret []byte, label string, context []byte, length int) []byte {
	var w Writer
	w.U16(uint16(length))
	w.Opaque([]byte("MLS 1.0 " + label))
	w.Opaque(context)
	return expand(secret, w.Bytes(), length)
}

// DeriveSecret is RFC 9420 §5.1 DeriveSecret.
func DeriveSecret(secret []byte, label string) []byte {
	return ExpandWithLabel(secret, label, nil, hashLen)
}

// DeriveTreeSecret is RFC 9420 §9 DeriveTreeSecret.
func DeriveTreeSecret(secret []byte, label string, generation uint32, length int) []byte {
	var g [4]byte
	g[0], g[1], g[2], g[3] = byte(generation>>24), byte(generation>>16), byte(generation>>8), byte(generation)
	return ExpandWithLabel(secret, label, g[:], length)
}

// RefHash is RFC 9420 §5.2 RefHash.
func RefHash(label string, value []byte) []byte {
	var w Writer
	w.Opaque([]byte(label))
	w.Opaque(value)
	return hash(w.Bytes())
}

// SignatureKey is a P-256 ECDSA signing key.
type SignatureKey struct {
	priv *ecdsa.PrivateKey
	pub  []byte
}

// GenerateSignatureKey returns a fresh P-256 signing key.
func GenerateSignatureKey() (*SignatureKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return newSignatureKey(k)
}

// ParseSignatureKey parses a raw 32-byte P-256 private scalar.
func ParseSignatureKey(raw []byte) (*SignatureKey, error) {
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: signature key: %v", ErrInvalid, err)
	}
	return newSignatureKey(k)
}

func newSignatureKey(k *ecdsa.PrivateKey) (*SignatureKey, error) {
	pub, err := k.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	return &SignatureKey{priv: k, pub: pub}, nil
}

// Public returns the uncompressed SEC1 public key.
func (k *SignatureKey) Public() []byte { return k.pub }

func signContent(label string, content []byte) []byte {
	var w Writer
	w.Opaque([]byte("MLS 1.0 " + label))
	w.Opaque(content)
	return w.Bytes()
}

// SignWithLabel is RFC 9420 §5.1.2 SignWithLabel (ECDSA-P256-SHA256, DER).
func (k *SignatureKey) SignWithLabel(label string, content []byte) ([]byte, error) {
	digest := hash(signContent(label, content))
	return ecdsa.SignASN1(rand.Reader, k.priv, digest)
}

// VerifyWithLabel is RFC 9420 §5.1.2 VerifyWithLabel.
func VerifyWithLabel(pub []byte, label string, content, sig []byte) error {
	pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
	if err != nil {
		return fmt.Errorf("%w: signature public key: %v", ErrInvalid, err)
	}
	if !ecdsa.VerifyASN1(pk, hash(signContent(label, content)), sig) {
		return ErrSignature
	}
	return nil
}

func encryptContext(label string, context []byte) []byte {
	var w Writer
	w.Opaque([]byte("MLS 1.0 " + label))
	w.Opaque(context)
	return w.Bytes()
}

// EncryptWithLabel is RFC 9420 §5.1.3; it returns kem_output and ciphertext.
func EncryptWithLabel(pub []byte, label string, context, plaintext []byte) (kemOutput, ciphertext []byte, err error) {
	pk, err := hpkeKEM.NewPublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: HPKE public key: %v", ErrInvalid, err)
	}
	enc, s, err := hpke.NewSender(pk, hpke.HKDFSHA256(), hpke.AES128GCM(), encryptContext(label, context))
	if err != nil {
		return nil, nil, err
	}
	ct, err := s.Seal(nil, plaintext)
	if err != nil {
		return nil, nil, err
	}
	return enc, ct, nil
}

// DecryptWithLabel is RFC 9420 §5.1.3.
func DecryptWithLabel(priv hpke.PrivateKey, label string, context, kemOutput, ciphertext []byte) ([]byte, error) {
	r, err := hpke.NewRecipient(kemOutput, priv, hpke.HKDFSHA256(), hpke.AES128GCM(), encryptContext(label, context))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	pt, err := r.Open(nil, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return pt, nil
}

// ParseHPKEPrivateKey parses a raw P-256 HPKE private key.
func ParseHPKEPrivateKey(raw []byte) (hpke.PrivateKey, error) {
	k, err := hpkeKEM.NewPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: HPKE private key: %v", ErrInvalid, err)
	}
	return k, nil
}

// deriveKeyPair is RFC 9420 DeriveKeyPair (HPKE DeriveKeyPair).
func deriveKeyPair(secret []byte) (hpke.PrivateKey, []byte, error) {
	k, err := hpkeKEM.DeriveKeyPair(secret)
	if err != nil {
		return nil, nil, err
	}
	return k, k.PublicKey().Bytes(), nil
}

func generateHPKEKey() (hpke.PrivateKey, error) { return hpkeKEM.GenerateKey() }

func aeadSeal(key, nonce, aad, pt []byte) []byte {
	return gcm(key).Seal(nil, nonce, pt, aad)
}

func aeadOpen(key, nonce, aad, ct []byte) ([]byte, error) {
	pt, err := gcm(key).Open(nil, nonce, ct, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // keys are always 16 bytes here
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

func zero(b []byte) { clear(b) }
