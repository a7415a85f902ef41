package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/dsp"
	"github.com/audionode/audionode/node/opus"

	"github.com/audionode/audionode/node/media/mp3"
)

const (
	frameLen   = audio.FrameSamples * audio.Channels // samples in one 20 ms stereo frame
	rawLen     = 2 * 2048                            // native-rate scratch
	fifoLen    = 2 * 5760                            // one decoded 120 ms Opus packet
	maxPktCopy = 8 << 10                             // the longest Opus packet kept for a switch
	// histPackets recent packets are decoded and encoded to settle a fresh
	// encoder before a switch from passthrough, so it starts at full quality.
	histPackets = 10
	// opusPreroll is decoded before a seek target so the decoder has
	// converged (RFC 7845 §4.6 recommends 80 ms).
	opusPreroll = 3840
)

// Options configure a Stream.
type Options struct {
	// Filters in effect from the first frame (no crossfade).
	Filters dsp.Filters
	// Volume is the player volume in percent (0–1000). The zero value
	// mutes: start from DefaultOptions.
	Volume int
	// ResamplingQuality is Lavalink's resamplingQuality.
	ResamplingQuality dsp.Quality
	// Encoder configures libopus; the zero value means
	// opus.DefaultEncoderOptions.
	Encoder opus.EncoderOptions
	// DisablePassthrough always decodes and re-encodes Opus sources.
	DisablePassthrough bool
	// Offset is the track time at which r begins (an HLS stream opened at
	// a segment boundary), and Skip how much decoded audio to drop from
	// there, so playback starts at Offset+Skip without seeking r. Only
	// PCM-decoded sources support them.
	Offset, Skip time.Duration
}

// DefaultOptions returns volume 100, no filters, LOW resampling and
// Lavalink's encoder settings.
func DefaultOptions() Options {
	return Options{Volume: 100, Encoder: opus.DefaultEncoderOptions()}
}

// Stream is an open track producing 20 ms Opus frames; it implements
// audio.TrackStream. See the package doc for which methods may be called
// concurrently.
type Stream struct {
	in     *input
	closer io.Closer
	opts   Options
	closed bool

	pcm  pcmDecoder   // PCM sources
	pkts packetSource // Opus sources
	dec  *opus.Decoder
	enc  *opus.Encoder
	rs   *dsp.Resampler // nil at 48 kHz

	chain *dsp.Chain
	raw   []float32
	rawA  int
	rawB  int
	fifo  []float32 // 48 kHz audio waiting for the chain
	fifoA int
	fifoB int
	frame []float32
	skip  int64 // 48 kHz frames still to drop (seek alignment)

	srcEOF  bool
	flushed bool
	base    int64 // PCM: 48 kHz frame of the track where fifo counting began
	// posOffset is added to the Opus timeline's position: the track time
	// at which an input that starts part-way begins (Options.Offset).
	posOffset int64
	used      int64 // PCM: 48 kHz frames consumed by the chain since base

	// Opus state, on the granule timeline.
	next         []byte // look-ahead packet (owned by the demuxer until consumed)
	nextStart    int64
	haveNext     bool
	fifoGran     int64 // granule of fifo[fifoA]
	last         []byte
	lastStart    int64
	haveLast     bool
	lastDec      int64 // start of the packet whose audio is in the fifo
	lastDecN     int   // its samples
	lookahead    int
	prime        bool // the encoder must be primed before the next frame
	passing      bool // the last frame was passed through
	encBusy      bool // the encoder was primed and runs L samples ahead
	prev         []float32
	prevN        int
	primeBuf     []float32
	hist         [histPackets][]byte
	histI        int
	histN        int
	scratch      []byte
	hadTimescale bool // a timescale stage may linger in the chain

	pos      atomic.Int64 // samples at 48 kHz into the track of the next frame
	duration time.Duration
	passAtom atomic.Bool
	pending  atomic.Pointer[dsp.Filters]
	volume   atomic.Int32
}

var _ audio.TrackStream = (*Stream)(nil)

// Open sniffs the container from the first bytes of r and prepares the
// pipeline. r should be an io.ReadSeeker for seeking and durations (an
// io.Reader is played as a stream). On success the Stream owns r and
// closes it if it is an io.Closer; on error the caller still owns it.
func Open(ctx context.Context, r io.Reader, opts Options) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Encoder == (opus.EncoderOptions{}) {
		opts.Encoder = opus.DefaultEncoderOptions()
	}
	if err := opts.Filters.Validate(); err != nil {
		return nil, err
	}
	s := &Stream{in: newInput(r), opts: opts}
	if c, ok := r.(io.Closer); ok {
		s.closer = c
	}
	if err := s.open(); err != nil {
		s.closer = nil // the caller keeps r
		s.free()
		return nil, err
	}
	return s, nil
}

func (s *Stream) open() error {
	head, _ := s.in.peek(36)
	if n := mp3.ID3v2Size(head); n > 0 {
		// Some taggers put ID3v2 in front of FLAC or AAC too; only MP3
		// keeps its tag (the decoder reads gapless info from it).
		if after, err := s.in.peek(n + 36); err == nil && !isMP3Sync(after[n:]) {
			if err := s.in.skip(int64(n)); err != nil {
				return err
			}
			head, _ = s.in.peek(36)
		}
	}
	switch {
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		d, err := openWAV(s.in)
		if err != nil {
			return err
		}
		s.pcm = d
	case len(head) >= 36 && string(head[:4]) == "OggS" && bytes.HasPrefix(head[28:], []byte("OpusHead")):
		p, err := openOggOpus(s.in)
		if err != nil {
			return err
		}
		s.pkts = p
	case len(head) >= 35 && string(head[:4]) == "OggS" && string(head[28:35]) == "\x01vorbis":
		d, err := openVorbis(s.in)
		if err != nil {
			return err
		}
		s.pcm = d
	case len(head) >= 4 && string(head[:4]) == "OggS":
		return fmt.Errorf("%w: Ogg with a codec other than Opus or Vorbis", ErrUnsupported)
	case len(head) >= 4 && string(head[:4]) == "\x1a\x45\xdf\xa3":
		m, err := openWebM(s.in)
		if err != nil {
			return err
		}
		if m.aacPriv != nil { // mkvaac.go
			pcm, err := openMkvAAC(m)
			if err != nil {
				return err
			}
			s.pcm = pcm
			break
		}
		if m.vorbisPriv != nil {
			d, err := openMkvVorbis(m)
			if err != nil {
				return err
			}
			s.pcm = d
			break
		}
		s.pkts = m
	case len(head) >= 4 && string(head[:4]) == "fLaC":
		d, err := openFLAC(s.in)
		if err != nil {
			return err
		}
		s.pcm = d
	case isContainer(head): // MP4, MPEG-TS, ADTS (container.go)
		pcm, pkts, err := openContainer(s.in, head)
		if err != nil {
			return err
		}
		s.pcm, s.pkts = pcm, pkts
	case len(head) >= 3 && (string(head[:3]) == "ID3" || isMP3Sync(head)):
		d, err := openMP3(s.in)
		if err != nil {
			return err
		}
		s.pcm = d
	default:
		return ErrUnknownFormat
	}

	var err error
	if s.opts.Filters.Active() {
		s.chain, err = dsp.NewChainWith(s.opts.Filters, s.opts.ResamplingQuality)
		if err != nil {
			return err
		}
	} else {
		s.chain = dsp.NewChain(s.opts.ResamplingQuality)
	}
	s.chain.SetVolume(s.opts.Volume)
	s.chain.Reset() // start at the volume rather than ramping from 100
	s.volume.Store(int32(s.chain.Volume()))
	if s.enc, err = opus.NewEncoder(audio.SampleRate, audio.Channels, s.opts.Encoder); err != nil {
		return err
	}
	s.fifo = make([]float32, fifoLen)
	s.frame = make([]float32, frameLen)
	s.duration = -1

	if s.pcm != nil {
		s.raw = make([]float32, rawLen)
		if s.pcm.rate() != audio.SampleRate {
			s.rs, err = dsp.NewResampler(float64(s.pcm.rate()), audio.SampleRate, s.opts.ResamplingQuality)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrUnsupported, err)
			}
		}
		if n := s.pcm.frames(); n >= 0 {
			s.duration = time.Duration(n) * time.Second / time.Duration(s.pcm.rate())
		}
		if s.opts.Offset > 0 || s.opts.Skip > 0 {
			s.skip = max(int64(s.opts.Skip), 0) * audio.SampleRate / int64(time.Second)
			s.base = max(int64(s.opts.Offset), 0)*audio.SampleRate/int64(time.Second) + s.skip
			s.pos.Store(s.base)
		}
		return nil
	}
	if s.dec, err = opus.NewDecoder(audio.SampleRate, audio.Channels); err != nil {
		return err
	}
	if s.lookahead, err = s.enc.Lookahead(); err != nil {
		return err
	}
	s.last = make([]byte, 0, maxPktCopy)
	s.prev = make([]float32, 2*histPackets*audio.FrameSamples)
	for i := range s.hist {
		s.hist[i] = make([]byte, 0, audio.MaxOpusFrame)
	}
	s.primeBuf = make([]float32, frameLen)
	s.scratch = make([]byte, audio.MaxOpusFrame)
	s.hadTimescale = s.opts.Filters.Timescale != nil
	s.prime = true
	if e := s.pkts.end(); e >= 0 {
		s.duration = time.Duration(max(e-int64(s.pkts.preSkip()), 0)) * time.Second / audio.SampleRate
	}
	s.pos.Store(-int64(s.pkts.preSkip()))
	if s.opts.Offset > 0 || s.opts.Skip > 0 {
		// The stream starts part-way (HLS at a segment boundary): count the
		// position from Offset and drop whole packets up to Skip.
		s.posOffset = max(int64(s.opts.Offset), 0) * audio.SampleRate / int64(time.Second)
		if skip := max(int64(s.opts.Skip), 0) * audio.SampleRate / int64(time.Second); skip > 0 {
			if err := s.skipOpus(skip + int64(s.pkts.preSkip())); err != nil {
				return err
			}
		}
	}
	return nil
}

// isMP3Sync reports an MPEG audio Layer III frame header at the start.
func isMP3Sync(b []byte) bool {
	return len(b) >= 3 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && (b[1]>>1)&3 == 1 && b[2]>>4 != 15
}

// Duration is the track length, or -1 when unknown (streams).
func (s *Stream) Duration() time.Duration { return s.duration }

// Seekable reports whether Seek can work.
func (s *Stream) Seekable() bool { return s.in.seekable() }

// Position is the track time of the next frame ReadFrame returns.
func (s *Stream) Position() time.Duration {
	return time.Duration(max(s.pos.Load(), 0)+s.posOffset) * time.Second / audio.SampleRate
}

// Passthrough reports whether the last frame was a source packet passed
// through untouched.
func (s *Stream) Passthrough() bool { return s.passAtom.Load() }

// SetFilters validates f and schedules it for the next frame boundary,
// where the chain crossfades to it. Safe from any goroutine; the error
// wraps dsp.ErrInvalidFilter and leaves the filters unchanged.
func (s *Stream) SetFilters(f dsp.Filters) error {
	if err := f.Validate(); err != nil {
		return err
	}
	f.Equalizer = append([]dsp.EqualizerBand(nil), f.Equalizer...)
	s.pending.Store(&f)
	return nil
}

// SetVolume sets the player volume (0–1000 %) from the next frame on,
// ramped over one frame. Safe from any goroutine.
func (s *Stream) SetVolume(percent int) {
	s.volume.Store(int32(min(max(percent, 0), 1000)))
}

func (s *Stream) applyPending() {
	if f := s.pending.Swap(nil); f != nil {
		_ = s.chain.Update(*f) // validated in SetFilters
		if f.Timescale != nil {
			s.hadTimescale = true
		}
	}
	if v := int(s.volume.Load()); v != s.chain.Volume() {
		s.chain.SetVolume(v)
	}
}

// ReadFrame writes the next 20 ms Opus frame into dst (at least
// audio.MaxOpusFrame bytes) and returns its length, or io.EOF at the end.
func (s *Stream) ReadFrame(dst []byte) (int, error) {
	if s.closed {
		return 0, ErrClosed
	}
	if len(dst) < audio.MaxOpusFrame {
		return 0, fmt.Errorf("%w: frame buffer of %d bytes", opus.ErrBadArg, len(dst))
	}
	s.applyPending()
	if s.pkts != nil {
		return s.readOpus(dst)
	}
	n, err := s.fill()
	if n == 0 {
		return 0, err
	}
	s.pos.Store(s.base + s.used)
	return s.encode(n, dst)
}

// encode pads the frame's first n samples with silence and encodes it.
func (s *Stream) encode(n int, dst []byte) (int, error) {
	clear(s.frame[n:])
	k, err := s.enc.EncodeFloat(s.frame, dst)
	if err != nil {
		return 0, err
	}
	return k, nil
}

// fill runs fifo audio through the chain into s.frame and returns the
// samples written; fewer than a frame only at the end of the source.
func (s *Stream) fill() (int, error) {
	n := 0
	for n < frameLen {
		if s.fifoA == s.fifoB {
			if err := s.refill(); err != nil {
				if err == io.EOF {
					return n, io.EOF
				}
				return n, err
			}
			continue
		}
		if s.prime {
			if err := s.primeEncoder(); err != nil {
				return n, err
			}
			continue
		}
		nIn, nOut := s.chain.Process(s.fifo[s.fifoA:s.fifoB], s.frame[n:])
		if nIn == 0 && nOut == 0 {
			return n, errors.New("media: filter chain stalled")
		}
		s.fifoA += nIn
		s.fifoGran += int64(nIn / 2)
		s.used += int64(nIn / 2)
		n += nOut
	}
	return n, nil
}

// refill puts the next decoded 48 kHz audio into the empty fifo.
func (s *Stream) refill() error {
	s.fifoA, s.fifoB = 0, 0
	if s.pkts != nil {
		return s.decodeNext()
	}
	for s.fifoB == 0 {
		if s.rs == nil {
			if s.srcEOF {
				return io.EOF
			}
			k, err := s.pcm.read(s.fifo[:rawLen])
			s.fifoB = k
			if err == io.EOF {
				s.srcEOF = true
			} else if err != nil {
				return err
			}
		} else {
			if s.rawA == s.rawB {
				if err := s.readRaw(); err != nil {
					return err
				}
			}
			nIn, nOut := s.rs.Process(s.raw[s.rawA:s.rawB], s.fifo)
			s.rawA += nIn
			s.fifoB = nOut
			if nIn == 0 && nOut == 0 && s.rawA < s.rawB {
				return errors.New("media: resampler stalled")
			}
		}
		s.dropSkip()
	}
	return nil
}

// readRaw reads native-rate audio for the resampler; at the end of the
// source it feeds the kernel's look-ahead of silence once to flush it.
func (s *Stream) readRaw() error {
	s.rawA, s.rawB = 0, 0
	if s.srcEOF {
		if s.flushed {
			return io.EOF
		}
		s.flushed = true
		s.rawB = min(2*s.rs.Latency()+2, len(s.raw))
		clear(s.raw[:s.rawB])
		return nil
	}
	k, err := s.pcm.read(s.raw)
	s.rawB = k
	if err == io.EOF {
		s.srcEOF = true
		return nil
	}
	return err
}

// dropSkip drops the frames a seek landed before its target.
func (s *Stream) dropSkip() {
	if s.skip <= 0 {
		return
	}
	k := min(s.skip, int64(s.fifoB-s.fifoA)/2)
	s.fifoA += int(2 * k)
	s.fifoGran += k
	s.skip -= k
}

// Seek moves to pos (clamped to the track) so that the next frame starts
// within one frame of it. It returns an error wrapping
// audio.ErrNotSeekable for unseekable input.
func (s *Stream) Seek(pos time.Duration) error {
	if s.closed {
		return ErrClosed
	}
	if !s.in.seekable() {
		return fmt.Errorf("media: %w", audio.ErrNotSeekable)
	}
	pos = max(pos, 0)
	if s.duration >= 0 {
		pos = min(pos, s.duration)
	}
	s.fifoA, s.fifoB, s.rawA, s.rawB = 0, 0, 0, 0
	s.srcEOF, s.flushed = false, false
	s.chain.Reset()
	if s.pkts != nil {
		return s.seekOpus(pos)
	}
	rate := int64(s.pcm.rate())
	want := int64(pos) * rate / int64(time.Second)
	got, err := s.pcm.seek(want)
	if err != nil {
		return err
	}
	if s.rs != nil {
		s.rs.Reset()
	}
	// The encoder's lookahead still holds audio from before the seek;
	// without a reset the first frame after it would replay a few ms of it.
	if err := s.enc.Reset(); err != nil {
		return err
	}
	s.skip = (want - got) * audio.SampleRate / rate
	s.base = want * audio.SampleRate / rate
	s.used = 0
	s.pos.Store(s.base)
	return nil
}

// Close releases the codecs and closes the input. It is idempotent.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.free()
}

func (s *Stream) free() error {
	if s.dec != nil {
		s.dec.Close()
	}
	if s.enc != nil {
		s.enc.Close()
	}
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}
