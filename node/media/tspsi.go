package media

import "io"

// handle processes the packet in t.pkt; it reports whether a PES of the
// stream was completed.
func (t *mpegTS) handle() bool {
	b := t.pkt[:]
	if b[1]&0x80 != 0 { // transport error
		if int(b[1]&0x1F)<<8|int(b[2]) == t.pid {
			t.accOn = false
		}
		return false
	}
	pusi := b[1]&0x40 != 0
	pid := int(b[1]&0x1F)<<8 | int(b[2])
	afc := b[3] >> 4 & 3
	cc := int(b[3] & 15)
	if afc&1 == 0 {
		return false // no payload
	}
	p := b[4:]
	if afc&2 != 0 {
		n := int(b[4]) + 1
		if n > len(p) {
			return false
		}
		p = p[n:]
	}
	switch {
	case pid == 0 && pusi && t.pmtPID < 0:
		t.parsePAT(p)
	case pid == t.pmtPID && pusi && t.pid < 0:
		t.parsePMT(p)
	case pid == t.pid && t.pid >= 0:
		if t.lastCC >= 0 && cc == t.lastCC && !pusi {
			return false // a duplicate packet
		}
		broken := t.lastCC >= 0 && cc != (t.lastCC+1)&15
		t.lastCC = cc
		ready := false
		if pusi {
			if t.accOn && !broken && len(t.acc) > 0 {
				t.finish()
				ready = true
			}
			t.startPES(p)
			return ready
		}
		if broken {
			t.accOn = false // drop the PES that lost a packet
		}
		if t.accOn {
			if len(t.acc)+len(p) > maxPESLen {
				t.accOn = false
			} else {
				t.acc = append(t.acc, p...)
			}
		}
	}
	return false
}

// startPES reads a PES header (ISO/IEC 13818-1 §2.4.3.6) and starts
// assembling its payload.
func (t *mpegTS) startPES(p []byte) {
	t.acc = t.acc[:0]
	t.accOn = false
	if len(p) < 9 || p[0] != 0 || p[1] != 0 || p[2] != 1 {
		return
	}
	hl := 9 + int(p[8])
	if hl > len(p) {
		return
	}
	if p[7]&0x80 != 0 && p[8] >= 5 {
		q := p[9:]
		t.accPTS = int64(q[0]>>1&7)<<30 | int64(q[1])<<22 | int64(q[2]>>1)<<15 | int64(q[3])<<7 | int64(q[4]>>1)
	} else {
		// No PTS: continue from the frames of the previous PES.
		t.accPTS = t.donePTS + t.doneK*t.auDur
	}
	t.acc = append(t.acc, p[hl:]...)
	t.accOn = true
}

// section returns the PSI section at the start of a payload, CRC excluded.
func section(p []byte, tableID byte) []byte {
	if len(p) < 1 || int(p[0])+1 > len(p) {
		return nil
	}
	s := p[1+int(p[0]):]
	if len(s) < 3 || s[0] != tableID {
		return nil
	}
	n := int(s[1]&0x0F)<<8 | int(s[2])
	if n < 9 || 3+n > len(s) {
		return nil
	}
	// CRC-32/MPEG-2 (ISO/IEC 13818-1 Annex A): the same polynomial as
	// Ogg's, from all ones; over the section with its CRC it leaves 0.
	if oggCRC(0xFFFFFFFF, s[:3+n]) != 0 {
		return nil
	}
	return s[:3+n-4]
}

func (t *mpegTS) parsePAT(p []byte) {
	s := section(p, 0)
	for i := 8; i+4 <= len(s); i += 4 {
		if s[i] != 0 || s[i+1] != 0 { // program 0 is the network PID
			t.pmtPID = int(s[i+2]&0x1F)<<8 | int(s[i+3])
			return
		}
	}
}

func (t *mpegTS) parsePMT(p []byte) {
	s := section(p, 2)
	if len(s) < 12 {
		return
	}
	i := 12 + (int(s[10]&0x0F)<<8 | int(s[11]))
	for ; i+5 <= len(s); i += 5 + (int(s[i+3]&0x0F)<<8 | int(s[i+4])) {
		typ := s[i]
		pid := int(s[i+1]&0x1F)<<8 | int(s[i+2])
		switch typ {
		case 0x0F:
			t.codec = codecAAC
		case 0x03, 0x04:
			t.codec = codecMP3
		case 0x11, 0x81, 0x87, 0x06:
			// LATM AAC, AC-3, E-AC-3, private data: audio we cannot play.
			if t.stype == 0 {
				t.stype = typ
			}
			continue
		default:
			continue
		}
		t.pid, t.stype = pid, typ
		return
	}
	if t.stype == 0 {
		t.stype = 0xFF
	}
	t.pmtPID = -2 // read once; nothing to play
}

// resetTo restarts reading at off with no PES in progress.
func (t *mpegTS) resetTo(off int64) error {
	t.acc, t.done = t.acc[:0], t.done[:0]
	t.accOn, t.held, t.eof = false, false, false
	t.doneOff, t.doneK, t.lastCC = 0, 0, -1
	return t.in.seek(off)
}

// findEnd reads the last 256 KiB for the end of the last frame.
func (t *mpegTS) findEnd() {
	if err := t.resetTo(max(t.in.size-256<<10, 0)); err != nil {
		return
	}
	last := int64(-1)
	for {
		_, ts, err := t.next()
		if err != nil {
			break
		}
		last = ts
	}
	if last >= 0 {
		t.endRel = last + t.auDur
	}
	_ = t.resetTo(0)
}

// seek bisects on byte offsets by the PTS of the first PES after each,
// then reads frames up to the one holding ts.
func (t *mpegTS) seek(ts int64) (int64, error) {
	if !t.in.seekable() {
		return 0, errNotSeekable
	}
	lo, hi := int64(0), t.in.size
	for hi-lo > 64*tsPacketLen {
		mid := (lo + (hi-lo)/2) / tsPacketLen * tsPacketLen
		if err := t.resetTo(mid); err != nil {
			return 0, err
		}
		_, pts, err := t.next()
		if err != nil || pts > ts {
			hi = mid
		} else {
			lo = mid
		}
	}
	if err := t.resetTo(lo); err != nil {
		return 0, err
	}
	for {
		au, pts, err := t.next()
		if err == io.EOF {
			return t.endRel, nil
		}
		if err != nil {
			return 0, err
		}
		if pts+t.auDur > ts {
			t.held, t.heldAU, t.heldTS = true, au, pts+t.pts0
			return pts, nil
		}
	}
}
