package node

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/audionode/audionode/node/voice"
	"github.com/audionode/audionode/node/voice/dave"
)

// daveSessions makes the DAVE (end-to-end encryption) session of each voice
// connection: the voice engine's DAVESession seam backed by node/voice/dave.
func daveSessions(p voice.DAVEParams) voice.DAVESession {
	uid, _ := strconv.ParseUint(p.UserID, 10, 64)
	ch, _ := strconv.ParseUint(p.ChannelID, 10, 64)
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &daveHook{cfg: dave.Config{UserID: uid, ChannelID: ch}, gw: p.Gateway, log: log.With("guild", p.GuildID)}
	h.s.Store(dave.New(h.cfg))
	return h
}

// daveHook adapts a dave.Session to the voice engine. The gateway goroutine
// calls the Handle methods; the scheduler's shard calls TransformFrame, so
// the session is swapped atomically on Reset.
type daveHook struct {
	cfg dave.Config
	gw  voice.GatewaySender
	log *slog.Logger
	s   atomic.Pointer[dave.Session]
}

// TransformFrame encrypts one Opus frame; before the first key it sends
// nothing (the frame is nulled) rather than plaintext into a DAVE call.
func (h *daveHook) TransformFrame(dst, frame []byte) (int, bool) {
	n, err := h.s.Load().Encryptor().Encrypt(dst, frame)
	return n, err == nil
}

func (h *daveHook) MaxProtocolVersion() int { return dave.MaxProtocolVersion }

func (h *daveHook) SessionDescription(version int) {
	d, _ := json.Marshal(map[string]int{"dave_protocol_version": version})
	h.HandleJSON(dave.OpSessionDescription, d)
}

func (h *daveHook) HandleJSON(op int, d json.RawMessage) {
	replies, err := h.s.Load().HandleJSON(op, d)
	h.send(replies, err)
}

func (h *daveHook) HandleBinary(op byte, payload []byte) {
	replies, err := h.s.Load().HandleBinary(op, payload)
	h.send(replies, err)
}

// send delivers replies even when err is set (recovery sends op 31 and a
// fresh key package alongside dave.ErrRecovered).
func (h *daveHook) send(replies []dave.Reply, err error) {
	if err != nil {
		h.log.Warn("dave", "err", err)
	}
	for _, r := range replies {
		var serr error
		if r.Binary != nil {
			serr = h.gw.SendBinary(byte(r.Op), r.Binary)
		} else {
			serr = h.gw.SendJSON(r.Op, r.JSON)
		}
		if serr != nil {
			h.log.Warn("dave reply not sent", "op", r.Op, "err", serr)
			return
		}
	}
}

func (h *daveHook) Reset() {
	if old := h.s.Swap(dave.New(h.cfg)); old != nil {
		old.Close()
	}
}

func (h *daveHook) Close() { h.s.Load().Close() }
