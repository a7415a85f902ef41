package media

// MPEG audio Layer III bit rates in kbit/s (ISO/IEC 11172-3 §2.4.2.3 and
// ISO/IEC 13818-3 for the lower sampling frequencies).
var (
	mp3Rates1 = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	mp3Rates2 = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
	mp3Freqs  = [3]int{44100, 48000, 32000}
)

// mp3FrameInfo reads a Layer III header: the frame length in bytes, the
// samples it holds and the sampling rate; ok false for anything else
// (free format included).
func mp3FrameInfo(b []byte) (length, samples, rate int, ok bool) {
	if len(b) < 4 || !isMP3Sync(b) {
		return 0, 0, 0, false
	}
	version := b[1] >> 3 & 3 // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
	bi, fi, pad := int(b[2]>>4), int(b[2]>>2&3), int(b[2]>>1&1)
	if version == 1 || bi == 0 || bi == 15 || fi == 3 {
		return 0, 0, 0, false
	}
	rate = mp3Freqs[fi]
	switch version {
	case 3:
		return 144000*mp3Rates1[bi]/rate + pad, 1152, rate, true
	case 2:
		rate /= 2
	default:
		rate /= 4
	}
	return 72000*mp3Rates2[bi]/rate + pad, 576, rate, true
}
