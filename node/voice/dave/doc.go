// Package dave implements Discord's audio/video end-to-end encryption
// (DAVE, protocol version 1) for the send path of a voice connection: the
// per-sender key ratchet derived from the MLS exporter and the Opus frame
// transform (AES-128-GCM, 8-byte truncated tag, ULEB128 nonce, 0xFAFA
// marker). MLS itself lives in node/mls.
package dave
