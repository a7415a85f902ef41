package voicetest

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// The two transport encryption modes Discord still accepts.
const (
	ModeAES256GCM = "aead_aes256_gcm_rtpsize"
	ModeXChaCha   = "aead_xchacha20_poly1305_rtpsize"
)

// Errors from packet parsing; matchable with errors.Is.
var (
	ErrShortPacket = errors.New("voicetest: packet too short")
	ErrBadHeader   = errors.New("voicetest: bad RTP header")
	ErrDecrypt     = errors.New("voicetest: decryption failed")
	ErrUnknownMode = errors.New("voicetest: unknown encryption mode")
)

// RTPHeader is the fixed part of an RTP header plus where the payload starts.
type RTPHeader struct {
	Version     uint8
	Extension   bool
	CSRCCount   uint8
	Marker      bool
	PayloadType uint8
	Seq         uint16
	Timestamp   uint32
	SSRC        uint32
	// AADLen is the unencrypted header size used as AAD by the rtpsize
	// modes: 12 + 4*CC, plus the 4-byte extension preamble when X=1.
	AADLen int
	// ExtWords is the extension body length in 32-bit words; the body is
	// encrypted, so it is skipped after decryption.
	ExtWords int
}

// ParseRTP reads the header of an rtpsize packet. It checks only what is
// needed to find the AAD; policy checks (PT, SSRC) belong to the caller.
func ParseRTP(pkt []byte) (RTPHeader, error) {
	var h RTPHeader
	if len(pkt) < 12 {
		return h, ErrShortPacket
	}
	h.Version = pkt[0] >> 6
	if h.Version != 2 {
		return h, fmt.Errorf("%w: version %d", ErrBadHeader, h.Version)
	}
	h.Extension = pkt[0]&0x10 != 0
	h.CSRCCount = pkt[0] & 0x0f
	h.Marker = pkt[1]&0x80 != 0
	h.PayloadType = pkt[1] & 0x7f
	h.Seq = binary.BigEndian.Uint16(pkt[2:])
	h.Timestamp = binary.BigEndian.Uint32(pkt[4:])
	h.SSRC = binary.BigEndian.Uint32(pkt[8:])
	h.AADLen = 12 + 4*int(h.CSRCCount)
	if h.Extension {
		if len(pkt) < h.AADLen+4 {
			return h, ErrShortPacket
		}
		h.ExtWords = int(binary.BigEndian.Uint16(pkt[h.AADLen+2:]))
		h.AADLen += 4
	}
	if len(pkt) < h.AADLen {
		return h, ErrShortPacket
	}
	return h, nil
}

// Opener decrypts rtpsize packets for one secret key.
type Opener struct {
	aead  cipher.AEAD
	nonce [24]byte
}

// NewOpener returns an Opener for mode and a 32-byte key.
func NewOpener(mode string, key []byte) (*Opener, error) {
	var (
		a   cipher.AEAD
		err error
	)
	switch mode {
	case ModeAES256GCM:
		var b cipher.Block
		b, err = aes.NewCipher(key)
		if err == nil {
			a, err = cipher.NewGCM(b)
		}
	case ModeXChaCha:
		a, err = chacha20poly1305.NewX(key)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownMode, mode)
	}
	if err != nil {
		return nil, err
	}
	return &Opener{aead: a}, nil
}

// Open decrypts pkt (header already parsed into h) into dst and returns
// the Opus payload (extension body skipped) and the 4-byte wire nonce.
func (o *Opener) Open(dst, pkt []byte, h RTPHeader) (payload []byte, nonce uint32, err error) {
	overhead := o.aead.Overhead() + 4
	if len(pkt) < h.AADLen+overhead {
		return nil, 0, ErrShortPacket
	}
	nb := pkt[len(pkt)-4:]
	nonce = binary.BigEndian.Uint32(nb)
	n := o.nonce[:o.aead.NonceSize()]
	clear(n)
	copy(n, nb)
	plain, err := o.aead.Open(dst[:0], n, pkt[h.AADLen:len(pkt)-4], pkt[:h.AADLen])
	if err != nil {
		return nil, nonce, ErrDecrypt
	}
	skip := 4 * h.ExtWords
	if skip > len(plain) {
		return nil, nonce, fmt.Errorf("%w: extension longer than payload", ErrBadHeader)
	}
	return plain[skip:], nonce, nil
}
