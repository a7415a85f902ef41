package dave

import (
	"fmt"

	"github.com/audionode/audionode/node/mls"
)

// Helpers for code that plays the voice gateway (tests, node/voicetest).

// AppendProposalsPayload encodes an op 27 "append" payload.
func AppendProposalsPayload(msgs ...*mls.PublicMessage) []byte {
	var w mls.Writer
	w.U8(0)
	w.Vector(func(w *mls.Writer) {
		for _, m := range msgs {
			w.Raw(m.Marshal())
		}
	})
	return w.Bytes()
}

// RevokeProposalsPayload encodes an op 27 "revoke" payload.
func RevokeProposalsPayload(refs ...[]byte) []byte {
	var w mls.Writer
	w.U8(1)
	w.Vector(func(w *mls.Writer) {
		for _, r := range refs {
			w.Opaque(r)
		}
	})
	return w.Bytes()
}

// SplitCommitWelcome splits an op 28 payload into the MLSMessage(Commit)
// bytes and the optional bare Welcome that follows it.
func SplitCommitWelcome(payload []byte) (commit []byte, welcome *mls.Welcome, err error) {
	r := mls.NewReader(payload)
	m := mls.ReadMessage(r)
	if r.Err() != nil {
		return nil, nil, fmt.Errorf("%w: op 28 commit: %v", ErrPayload, r.Err())
	}
	if m.Public == nil || m.Public.Content.ContentType != mls.ContentCommit {
		return nil, nil, fmt.Errorf("%w: op 28 is not a public commit", ErrPayload)
	}
	rest := r.Rest()
	commit = payload[:len(payload)-len(rest)]
	if len(rest) == 0 {
		return commit, nil, nil
	}
	if welcome, err = mls.ParseWelcome(rest); err != nil {
		return nil, nil, fmt.Errorf("%w: op 28 welcome: %v", ErrPayload, err)
	}
	return commit, welcome, nil
}
