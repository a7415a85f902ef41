// Package opus is a thin cgo wrapper over the system libopus (1.3.x, found
// through pkg-config). It exposes exactly what the audio path needs: an
// encoder whose complexity, bitrate, VBR, in-band FEC and expected loss can
// be set (Lavalink's opusEncodingQuality maps to complexity), and a decoder
// with packet-loss concealment and FEC recovery. Every Encode and Decode
// writes into caller-owned buffers and allocates nothing.
//
// An Encoder or Decoder is not safe for concurrent use; one producer
// goroutine owns each. Close frees the C state and is idempotent; a cleanup
// frees it too if an unclosed value is garbage collected.
//
// The only untrusted bytes that reach C are Opus packets given to
// Decoder.Decode, which libopus validates itself; the pure-Go
// PacketSamples parses a packet's TOC for the passthrough decision.
package opus

/*
#cgo pkg-config: opus
#include <opus.h>

// libopus's ctl functions are variadic, which cgo cannot call; these
// shims pass one int.
int an_enc_set(OpusEncoder *e, int req, int v) { return opus_encoder_ctl(e, req, v); }
int an_enc_get(OpusEncoder *e, int req) {
	opus_int32 v = 0;
	int r = opus_encoder_ctl(e, req, &v);
	return r < 0 ? r : (int)v;
}
int an_enc_reset(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_RESET_STATE); }
int an_dec_get(OpusDecoder *d, int req) {
	opus_int32 v = 0;
	int r = opus_decoder_ctl(d, req, &v);
	return r < 0 ? r : (int)v;
}
int an_dec_reset(OpusDecoder *d) { return opus_decoder_ctl(d, OPUS_RESET_STATE); }

int an_encode(OpusEncoder *e, const opus_int16 *pcm, int frame, unsigned char *out, int max) {
	return opus_encode(e, pcm, frame, out, max);
}
int an_encode_float(OpusEncoder *e, const float *pcm, int frame, unsigned char *out, int max) {
	return opus_encode_float(e, pcm, frame, out, max);
}
int an_decode(OpusDecoder *d, const unsigned char *data, int len, opus_int16 *pcm, int frame, int fec) {
	return opus_decode(d, data, len, pcm, frame, fec);
}
int an_decode_float(OpusDecoder *d, const unsigned char *data, int len, float *pcm, int frame, int fec) {
	return opus_decode_float(d, data, len, pcm, frame, fec);
}
*/
import "C"

// Version is the libopus version string, e.g. "libopus 1.3.1".
func Version() string { return C.GoString(C.opus_get_version_string()) }

// libopusPacketSamples asks libopus for a packet's samples per channel at
// 48 kHz; tests cross-check PacketSamples against it.
func libopusPacketSamples(packet []byte) int {
	if len(packet) == 0 {
		return int(C.OPUS_BAD_ARG)
	}
	return int(C.opus_packet_get_nb_samples((*C.uchar)(&packet[0]), C.opus_int32(len(packet)), 48000))
}
