package dave

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/audionode/audionode/node/mls"
)

// Voice gateway opcodes used by DAVE.
const (
	OpSessionDescription      = 4
	OpClientsConnect          = 11
	OpClientDisconnect        = 13
	OpPrepareTransition       = 21
	OpExecuteTransition       = 22
	OpTransitionReady         = 23
	OpPrepareEpoch            = 24
	OpMLSExternalSender       = 25
	OpMLSKeyPackage           = 26
	OpMLSProposals            = 27
	OpMLSCommitWelcome        = 28
	OpMLSAnnounceCommit       = 29
	OpMLSWelcome              = 30
	OpMLSInvalidCommitWelcome = 31
)

// MaxProtocolVersion is the DAVE version this package implements; send it
// as max_dave_protocol_version in Identify.
const MaxProtocolVersion = 1

// Session errors.
var (
	// ErrPayload means a gateway payload was malformed.
	ErrPayload = errors.New("dave: malformed gateway payload")
	// ErrRecovered means an invalid commit or welcome was answered with op 31 and a re-init.
	ErrRecovered = errors.New("dave: invalid commit or welcome, re-initialised")
	// ErrClosed means the session was closed.
	ErrClosed = errors.New("dave: session closed")
)

// Reply is a message the caller must send to the voice gateway.
type Reply struct {
	Op     int
	JSON   any    // "d" of a JSON op (23, 31)
	Binary []byte // payload of a binary op (26, 28), without the opcode byte
}

// Wire returns a binary reply as a client→server frame: [op][payload].
func (r Reply) Wire() []byte { return append([]byte{byte(r.Op)}, r.Binary...) }

// TransitionData is the payload of ops 21–23 and 31.
type TransitionData struct {
	TransitionID    uint16 `json:"transition_id"`
	ProtocolVersion *int   `json:"protocol_version,omitempty"`
}

// Config identifies the local member.
type Config struct {
	UserID    uint64
	ChannelID uint64
	// Signer is an optional persistent signature key; nil uses a fresh key per session.
	Signer *mls.SignatureKey
}

type transition struct {
	version int
	base    []byte // sender base secret for the new epoch; nil for passthrough
}

// Session runs the DAVE state machine (discord-voice.md §3.4) for one voice
// connection. HandleJSON and HandleBinary are called from the gateway
// reader; the send loop only touches Encryptor.
type Session struct {
	mu          sync.Mutex
	cfg         Config
	enc         Encryptor
	version     int
	closed      bool
	extSender   *mls.ExternalSender
	kp          *mls.KeyPackageBundle
	pending     *mls.Group           // sole-member group before any commit/welcome
	group       *mls.Group           // established group
	commits     []*mls.PendingCommit // our commits this epoch; the gateway may announce any of them
	transitions map[uint16]transition
	recognized  map[uint64]bool
}

// New returns a session in passthrough until op 4 says otherwise.
func New(cfg Config) *Session {
	s := &Session{cfg: cfg, transitions: map[uint16]transition{}, recognized: map[uint64]bool{}}
	s.enc.SetPassthrough(true)
	return s
}

// Encryptor returns the send-path frame encryptor.
func (s *Session) Encryptor() *Encryptor { return &s.enc }

// ProtocolVersion returns the negotiated DAVE protocol version.
func (s *Session) ProtocolVersion() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Ready reports whether audio may be sent (§3.6).
func (s *Session) Ready() bool { return s.enc.Ready() }

// Epoch returns the established group's epoch and whether there is one.
func (s *Session) Epoch() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.group == nil {
		return 0, false
	}
	return s.group.Epoch(), true
}

// Close erases all key material. Call it after the send loop has stopped.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.resetMLS()
	s.extSender = nil
	s.enc.Close()
}

func (s *Session) resetMLS() {
	s.group.Zero()
	s.pending.Zero()
	s.group, s.pending, s.commits, s.kp = nil, nil, nil, nil
	for id, t := range s.transitions {
		clear(t.base)
		delete(s.transitions, id)
	}
}

// initMLS starts a fresh MLS member: new key package (op 26) and, if the
// external sender is known, a pending sole-member group.
func (s *Session) initMLS() ([]Reply, error) {
	s.resetMLS()
	kp, err := mls.NewKeyPackage(s.cfg.UserID, s.cfg.Signer)
	if err != nil {
		return nil, err
	}
	s.kp = kp
	if err := s.createPendingGroup(); err != nil {
		return nil, err
	}
	return []Reply{{Op: OpMLSKeyPackage, Binary: kp.KeyPackage.Marshal()}}, nil
}

func (s *Session) groupID() []byte { return binary.BigEndian.AppendUint64(nil, s.cfg.ChannelID) }

func (s *Session) createPendingGroup() error {
	if s.extSender == nil || s.kp == nil || s.group != nil {
		return nil
	}
	g, err := mls.NewGroup(s.groupID(), s.kp, []mls.Extension{mls.ExternalSendersExtension(*s.extSender)})
	if err != nil {
		return err
	}
	s.pending = g
	return nil
}

// HandleJSON processes a JSON gateway op (4, 11, 13, 21, 22, 24); other ops
// are ignored.
func (s *Session) HandleJSON(op int, d json.RawMessage) ([]Reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	switch op {
	case OpSessionDescription:
		var v struct {
			Version int `json:"dave_protocol_version"`
		}
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, fmt.Errorf("%w: op 4: %v", ErrPayload, err)
		}
		return s.setVersion(v.Version)
	case OpClientsConnect:
		var v struct {
			UserIDs []string `json:"user_ids"`
		}
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, fmt.Errorf("%w: op 11: %v", ErrPayload, err)
		}
		for _, id := range v.UserIDs {
			if u, err := strconv.ParseUint(id, 10, 64); err == nil && len(s.recognized) < maxRecognized {
				s.recognized[u] = true
			}
		}
	case OpClientDisconnect:
		var v struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, fmt.Errorf("%w: op 13: %v", ErrPayload, err)
		}
		if u, err := strconv.ParseUint(v.UserID, 10, 64); err == nil {
			delete(s.recognized, u)
		}
	case OpPrepareTransition:
		var v TransitionData
		if err := json.Unmarshal(d, &v); err != nil || v.ProtocolVersion == nil {
			return nil, fmt.Errorf("%w: op 21", ErrPayload)
		}
		t := transition{version: *v.ProtocolVersion}
		if t.version > 0 {
			t.base = s.sendBase()
		}
		s.transitions[v.TransitionID] = t
		if v.TransitionID == 0 {
			s.execute(0)
			return nil, nil
		}
		return []Reply{{Op: OpTransitionReady, JSON: TransitionData{TransitionID: v.TransitionID}}}, nil
	case OpExecuteTransition:
		var v TransitionData
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, fmt.Errorf("%w: op 22: %v", ErrPayload, err)
		}
		s.execute(v.TransitionID)
	case OpPrepareEpoch:
		var v struct {
			Epoch   uint64 `json:"epoch"`
			Version int    `json:"protocol_version"`
		}
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, fmt.Errorf("%w: op 24: %v", ErrPayload, err)
		}
		if v.Epoch == 1 {
			// A new group is starting (also the sole-member reset): re-init.
			s.version = v.Version
			if s.version == 0 {
				return nil, nil
			}
			return s.initMLS()
		}
	}
	return nil, nil
}

// Bounds on session state.
const (
	maxRecognized     = 1 << 14
	maxPendingCommits = 16
)

func (s *Session) setVersion(v int) ([]Reply, error) {
	if v < 0 || v > MaxProtocolVersion {
		return nil, fmt.Errorf("%w: protocol version %d", ErrPayload, v)
	}
	s.version = v
	if v == 0 {
		s.resetMLS()
		s.enc.SetPassthrough(true)
		return nil, nil
	}
	// Hold audio until the first transition installs a key (§3.6).
	s.enc.SetPassthrough(false)
	return s.initMLS()
}

// sendBase returns our sender base secret for the current group, if any.
func (s *Session) sendBase() []byte {
	g := s.group
	if g == nil {
		g = s.pending
	}
	if g == nil {
		return nil
	}
	return GroupSenderBase(g, s.cfg.UserID)
}

// GroupSenderBase derives userID's sender base secret in g's epoch.
func GroupSenderBase(g *mls.Group, userID uint64) []byte {
	return g.Export(ExporterLabel, binary.LittleEndian.AppendUint64(nil, userID), keySize)
}

func (s *Session) execute(id uint16) {
	t, ok := s.transitions[id]
	if !ok {
		return
	}
	delete(s.transitions, id)
	if t.version == 0 {
		s.enc.SetPassthrough(true)
		return
	}
	if t.base == nil {
		t.base = s.sendBase()
	}
	if t.base != nil {
		// SetKey only fails on an invalid key length, which cannot happen here.
		_ = s.enc.SetKey(t.base)
		clear(t.base)
	}
}

// HandleBinary processes a binary gateway op (25, 27, 29, 30); payload
// excludes the sequence number and opcode. Replies must be sent even when
// an error is returned: an invalid commit or welcome yields op 31 and a
// fresh op 26 together with an error wrapping ErrRecovered.
func (s *Session) HandleBinary(op byte, payload []byte) ([]Reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	switch op {
	case OpMLSExternalSender:
		es, err := mls.ParseExternalSender(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: op 25: %v", ErrPayload, err)
		}
		s.extSender = es
		return nil, s.createPendingGroup()
	case OpMLSProposals:
		return s.handleProposals(payload)
	case OpMLSAnnounceCommit:
		if len(payload) < 2 {
			return nil, fmt.Errorf("%w: op 29", ErrPayload)
		}
		tid := binary.BigEndian.Uint16(payload)
		return s.handleCommit(tid, payload[2:])
	case OpMLSWelcome:
		if len(payload) < 2 {
			return nil, fmt.Errorf("%w: op 30", ErrPayload)
		}
		tid := binary.BigEndian.Uint16(payload)
		return s.handleWelcome(tid, payload[2:])
	}
	return nil, nil
}

// ParseProposals parses an op 27 payload: revoke refs or append messages.
func ParseProposals(payload []byte) (revoke bool, msgs []*mls.PublicMessage, refs [][]byte, err error) {
	r := mls.NewReader(payload)
	switch r.U8() {
	case 0:
		r.Vector(func(r *mls.Reader) {
			m := mls.ReadMessage(r)
			if r.Err() == nil && m.Public == nil {
				r.Fail(fmt.Errorf("%w: proposal is not a public message", ErrPayload))
				return
			}
			msgs = append(msgs, m.Public)
		})
	case 1:
		revoke = true
		r.Vector(func(r *mls.Reader) { refs = append(refs, r.OpaqueCopy()) })
	default:
		r.Fail(fmt.Errorf("%w: proposals operation", ErrPayload))
	}
	if err := r.Finish(); err != nil {
		return false, nil, nil, fmt.Errorf("%w: op 27: %v", ErrPayload, err)
	}
	return revoke, msgs, refs, nil
}

func (s *Session) current() *mls.Group {
	if s.group != nil {
		return s.group
	}
	return s.pending
}

func (s *Session) handleProposals(payload []byte) ([]Reply, error) {
	revoke, msgs, refs, err := ParseProposals(payload)
	if err != nil {
		return nil, err
	}
	g := s.current()
	if g == nil {
		return nil, nil // no local group yet: ignore (§3.4.5)
	}
	if revoke {
		for _, ref := range refs {
			g.RevokeProposal(ref)
		}
	} else {
		for _, m := range msgs {
			if m.Content.Sender.Type != mls.SenderExternal {
				return nil, fmt.Errorf("%w: proposal not from the external sender", ErrPayload)
			}
			p := m.Content.Proposal
			if p == nil || (p.Type != mls.ProposalAdd && p.Type != mls.ProposalRemove) {
				return nil, fmt.Errorf("%w: only add and remove proposals are allowed", ErrPayload)
			}
			if p.Type == mls.ProposalAdd {
				id := p.KeyPackage.LeafNode.Credential.Identity
				if len(id) != 8 || !s.recognized[binary.BigEndian.Uint64(id)] {
					return nil, fmt.Errorf("%w: add for unrecognised user", ErrPayload)
				}
			}
			if _, err := g.AddProposal(m); err != nil {
				return nil, err
			}
		}
	}
	if g.PendingProposals() == 0 {
		return nil, nil
	}
	pc, err := g.Commit(false)
	if err != nil {
		return nil, err
	}
	if len(s.commits) == maxPendingCommits {
		s.commits = s.commits[1:]
	}
	s.commits = append(s.commits, pc)
	out := pc.Message.Marshal()
	if pc.Welcome != nil {
		out = append(out, pc.Welcome.Marshal()...)
	}
	return []Reply{{Op: OpMLSCommitWelcome, Binary: out}}, nil
}

func (s *Session) handleCommit(tid uint16, b []byte) ([]Reply, error) {
	m, err := mls.ParseMessage(b)
	if err == nil && m.Public == nil {
		err = fmt.Errorf("%w: commit is not a public message", ErrPayload)
	}
	if err == nil && string(m.Public.Content.GroupID) != string(s.groupID()) {
		return nil, nil // another group's commit: not ours to judge
	}
	var next *mls.Group
	if err == nil {
		g := s.current()
		switch {
		case g == nil:
			err = fmt.Errorf("%w: commit without a group", ErrPayload)
		default:
			for _, pc := range s.commits {
				if pc.Matches(m.Public) {
					next = pc.Next()
				}
			}
			if next == nil {
				next, err = g.ProcessCommit(m.Public)
			}
		}
	}
	if err != nil {
		return s.recover(tid, err)
	}
	return s.adopt(tid, next), nil
}

func (s *Session) handleWelcome(tid uint16, b []byte) ([]Reply, error) {
	if s.group != nil || s.kp == nil {
		return nil, nil // already a member, or not initialised: not for us
	}
	w, err := mls.ParseWelcome(b)
	var g *mls.Group
	if err == nil {
		g, err = mls.JoinFromWelcome(w, s.kp, nil, nil)
	}
	if err == nil {
		err = s.checkWelcomeGroup(g)
	}
	if err != nil {
		return s.recover(tid, err)
	}
	return s.adopt(tid, g), nil
}

func (s *Session) checkWelcomeGroup(g *mls.Group) error {
	senders, err := g.ExternalSenders()
	if err != nil {
		return err
	}
	if s.extSender == nil || len(senders) != 1 || string(senders[0].Marshal()) != string(s.extSender.Marshal()) {
		return fmt.Errorf("%w: welcome external sender does not match op 25", ErrPayload)
	}
	if string(g.GroupID()) != string(s.groupID()) {
		return fmt.Errorf("%w: welcome for another group", ErrPayload)
	}
	for leaf, id := range g.Members() {
		if leaf == g.OwnLeaf() {
			continue
		}
		if len(id) != 8 || !s.recognized[binary.BigEndian.Uint64(id)] {
			return fmt.Errorf("%w: welcome has unrecognised member", ErrPayload)
		}
	}
	return nil
}

// adopt makes next the established group and prepares the transition.
func (s *Session) adopt(tid uint16, next *mls.Group) []Reply {
	if s.group != nil && s.group != next {
		s.group.Zero()
	}
	if s.pending != nil && s.pending != next {
		s.pending.Zero()
	}
	s.group, s.pending, s.commits = next, nil, nil
	s.transitions[tid] = transition{version: s.version, base: s.sendBase()}
	if tid == 0 {
		s.execute(0)
		return nil
	}
	return []Reply{{Op: OpTransitionReady, JSON: TransitionData{TransitionID: tid}}}
}

// recover handles an invalid commit or welcome: op 31, reset, fresh op 26.
func (s *Session) recover(tid uint16, cause error) ([]Reply, error) {
	out := []Reply{{Op: OpMLSInvalidCommitWelcome, JSON: TransitionData{TransitionID: tid}}}
	more, err := s.initMLS()
	if err != nil {
		return out, errors.Join(ErrRecovered, cause, err)
	}
	return append(out, more...), fmt.Errorf("%w: %w", ErrRecovered, cause)
}

// Decryptor returns a frame decryptor for userID's frames in the current
// epoch, for receivers and test listeners. A send-only node never needs it.
func (s *Session) Decryptor(userID uint64) (*Decryptor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.current()
	if g == nil {
		return nil, fmt.Errorf("%w: no group", ErrNotReady)
	}
	return NewDecryptor(GroupSenderBase(g, userID)), nil
}
