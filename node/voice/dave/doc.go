// Package dave implements Discord's audio/video end-to-end encryption
// (DAVE, protocol version 1) for a voice connection: the session state
// machine of ops 21–31 on top of node/mls, the per-sender key ratchet
// derived from the MLS exporter, and the Opus frame transform (AES-128-GCM
// with an 8-byte truncated tag, ULEB128 nonce, 0xFAFA marker).
//
// The voice engine uses it like this:
//
//	s := dave.New(dave.Config{UserID: botID, ChannelID: channelID})
//	// Identify with max_dave_protocol_version: dave.MaxProtocolVersion.
//	// For every JSON op (4, 11, 13, 21, 22, 24): replies, err := s.HandleJSON(op, d)
//	// For every binary op [seq u16][op u8][payload]: replies, err := s.HandleBinary(op, payload)
//	// Send every reply (even when err != nil): binary ones as r.Wire(),
//	// JSON ones as {"op": r.Op, "d": r.JSON}.
//	enc := s.Encryptor() // send loop: n, err := enc.Encrypt(dst, opus); skip the frame on ErrNotReady
//	defer s.Close()      // after the send loop has stopped
//
// HandleJSON/HandleBinary are safe to call from the gateway goroutine while
// the send loop calls Encrypt: key changes are handed over atomically and
// Encrypt takes no lock and allocates nothing.
package dave
