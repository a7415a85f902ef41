package voicetest

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/audionode/audionode/node/mls"
	"github.com/audionode/audionode/node/voice/dave"
)

// DAVE (tier 2): with Options.DAVE set the fake plays the voice gateway's
// external-sender role for each session's MLS group (discord-voice.md §3):
// op 4 announces protocol version 1, op 25 carries the fake's own external
// sender, the client's op 26 key package is collected, Add and Remove
// proposals go out in op 27, the client's op 28 commit is relayed as op 29
// and its Welcome as op 30 to the joiners, and each transition completes
// with op 22 once the client answers op 23.
//
// The group's other members are simulated by DAVEMember values that live in
// the fake (pure Go ones built on node/voice/dave by default, or davey
// through test/dave/davey-peer.js). The first of them is the "ear": every
// Opus frame the client sends is opened with the ear's view of the client's
// sender key after transport decryption, so a frame counts as decoded only
// when both layers open.

// DAVEOptions turn on the tier-2 DAVE fake.
type DAVEOptions struct {
	// Members is how many simulated members join each session's group as
	// soon as the client's key package arrives; default 1 (the ear).
	// Negative means none at first (add them with Session.DAVEAddMembers);
	// until then the client holds its audio, as it has no key.
	Members int
	// MembersCommit makes the ear found the group and commit every change
	// (the client's commits are then ignored, as the gateway forwards only
	// the first): the client joins through the ear's Welcome (op 30) and
	// processes the ear's commits (op 29). Default: the client commits.
	MembersCommit bool
	// NewMember builds a simulated member; default a pure-Go member.
	NewMember func(userID uint64) (DAVEMember, error)
}

// DAVEMember is one simulated call member inside the fake. Payloads are
// those of the gateway ops, without sequence number or opcode.
type DAVEMember interface {
	UserID() uint64
	// Start initialises the member for the channel (op 11 with recognized,
	// op 4 version 1, op 25) and returns its bare KeyPackage (op 26).
	Start(channelID uint64, externalSender []byte, recognized []uint64) ([]byte, error)
	// Proposals delivers an op 27 payload; recognized lists the users in
	// the call. It returns the member's own commit as an op 28 payload
	// (commit, then Welcome if any), or nil.
	Proposals(payload []byte, recognized []uint64) ([]byte, error)
	// Commit processes an announced commit (op 29) of transition tid.
	Commit(tid uint16, commit []byte) error
	// Welcome joins from a Welcome (op 30) of transition tid.
	Welcome(tid uint16, welcome []byte) error
	// Execute completes transition tid (op 22).
	Execute(tid uint16) error
	// Decrypt opens one of sender's DAVE frames. Frames of the previous
	// epoch stay decryptable for a while after a commit.
	Decrypt(sender uint64, frame []byte) ([]byte, error)
	Close()
}

// DAVEReport is the DAVE part of a Report; ResetStats leaves it alone.
type DAVEReport struct {
	Version       int    // protocol version announced in op 4
	Epoch         uint64 // group epoch after the last relayed commit
	Members       int    // simulated members in the group (client excluded)
	KeyPackages   int    // op 26 from the client
	Commits       int    // op 28 relayed as op 29
	Welcomes      int    // op 30 sent to simulated joiners
	IgnoredCommit int    // op 28 with nothing pending, for another epoch, or malformed
	ReadyAcks     int    // op 23 matching the pending transition
	Transitions   int    // op 22 sent
	Invalid       int    // op 31 from the client
	MemberErrors  int    // a simulated member failed a commit, welcome or proposal
	LastError     string // the last member or relay error

	Frames        uint64 // Opus frames whose DAVE layer opened
	DecryptFailed uint64 // frames that did not open (no key, not DAVE, bad tag)
	Plain         uint64 // non-silence frames without the 0xFAFA marker (counted in DecryptFailed too)
	Silence       uint64 // F8 FF FE frames passed through undecrypted
	Passthrough   uint64 // plain frames accepted during a downgrade
	Downgrades    int    // op 21 with protocol version 0 completed
	Reinits       int    // op 24 (epoch 1) sent
}

// ErrDAVEOff is returned by DAVE methods of a server without Options.DAVE,
// or before the session has selected a protocol.
var ErrDAVEOff = errors.New("voicetest: DAVE not active")

// Binary opcodes of client DAVE messages.
const (
	opDAVEKeyPackage    = dave.OpMLSKeyPackage
	opDAVECommitWelcome = dave.OpMLSCommitWelcome
)

// daveChange is one membership change waiting for a commit.
type daveChange struct {
	add       []DAVEMember
	kps       [][]byte
	remove    []uint64
	addClient bool              // the client joins through a member's Welcome
	refs      map[string]uint64 // proposal ref → user added or removed
	downgrade bool              // op 21 to protocol version 0 instead of proposals
	tid       uint16            // set once the commit was relayed (or op 21 sent)
}

// daveState is the external sender and delivery service of one session's
// group. Lock order: daveState.mu, then Session.mu; member locks are never
// held while taking either.
type daveState struct {
	ss   *Session
	opts DAVEOptions

	mu        sync.Mutex
	started   bool // op 25 sent for the current gateway session
	key       *mls.SignatureKey
	ext       []byte
	channel   uint64
	groupID   []byte
	clientKP  []byte
	epoch     uint64
	leaves    []uint64 // user per leaf, 0 for blank; the client included
	members   map[uint64]DAVEMember
	inGroup   map[uint64]bool
	queue     []*daveChange
	pending   *daveChange
	nextTID   uint16
	nextUser  uint64
	addedInit bool
	clientIn  bool // the client is in the group (has a local group at first)

	client atomic.Uint64
	ear    atomic.Pointer[earRef]
	// retired is the ear of the group before a re-init: the client keeps
	// sending with that group's key until the new group's op 22.
	retired atomic.Pointer[earRef]
	// passthrough is ptOff, ptOn after a downgrade, or ptEnding once an
	// upgrade's op 22 is out: plain frames pass until the first DAVE one.
	passthrough atomic.Int32
}

const (
	ptOff int32 = iota
	ptOn
	ptEnding
)

type earRef struct{ m DAVEMember }

func newDAVE(ss *Session, o *DAVEOptions) *daveState {
	if o == nil {
		return nil
	}
	d := &daveState{ss: ss, opts: *o, members: map[uint64]DAVEMember{}, inGroup: map[uint64]bool{}}
	if d.opts.Members == 0 {
		d.opts.Members = 1
	}
	if d.opts.NewMember == nil {
		d.opts.NewMember = func(u uint64) (DAVEMember, error) { return NewGoMember(u), nil }
	}
	return d
}

func (ss *Session) daveVersion() int {
	if ss.dave != nil {
		return dave.MaxProtocolVersion
	}
	return 0
}

func (d *daveState) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.ss.mu.Lock()
	d.ss.rep.DAVE.MemberErrors++
	d.ss.rep.DAVE.LastError = msg
	d.ss.mu.Unlock()
	d.ss.srv.logf("voicetest: dave: %s", msg)
}

func (d *daveState) report(f func(r *DAVEReport)) {
	d.ss.mu.Lock()
	f(&d.ss.rep.DAVE)
	d.ss.mu.Unlock()
}

// start begins a new group after op 4: a fresh external sender key, no
// members, op 25 to the client.
func (d *daveState) start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeMembersLocked()
	d.ss.mu.Lock()
	creds := d.ss.creds
	d.ss.rep.DAVE = DAVEReport{Version: dave.MaxProtocolVersion}
	d.ss.mu.Unlock()
	user, _ := strconv.ParseUint(creds.UserID, 10, 64)
	d.channel, _ = strconv.ParseUint(creds.ChannelID, 10, 64)
	d.client.Store(user)
	d.groupID = binary.BigEndian.AppendUint64(nil, d.channel)
	k, err := mls.GenerateSignatureKey()
	if err != nil {
		d.fail("signature key: %v", err)
		return
	}
	es := mls.ExternalSender{SignatureKey: k.Public(), Credential: mls.Credential{Type: mls.CredentialBasic, Identity: mls.UserIdentity(1)}}
	d.key, d.ext = k, es.Marshal()
	d.clientKP, d.epoch, d.leaves, d.queue, d.pending = nil, 0, nil, nil, nil
	d.nextTID, d.nextUser, d.addedInit, d.started = 1, user+1_000_000, false, true
	d.passthrough.Store(ptOff)
	if err := d.ss.SendBinary(dave.OpMLSExternalSender, d.ext); err != nil {
		d.fail("op 25: %v", err)
	}
}

func (d *daveState) closeMembersLocked() {
	d.ear.Store(nil)
	if old := d.retired.Swap(nil); old != nil {
		old.m.Close()
	}
	for u, m := range d.members {
		m.Close()
		delete(d.members, u)
	}
	clear(d.inGroup)
}

func (d *daveState) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closeMembersLocked()
}

// clientBinary handles a client binary frame [op][payload].
func (d *daveState) clientBinary(b []byte) {
	if len(b) == 0 {
		return
	}
	switch b[0] {
	case opDAVEKeyPackage:
		d.keyPackage(b[1:])
	case opDAVECommitWelcome:
		d.commit(b[1:])
	}
}

// clientJSON handles client JSON DAVE ops (23, 31); false if not one.
func (d *daveState) clientJSON(op int, raw json.RawMessage) bool {
	var td dave.TransitionData
	switch op {
	case dave.OpTransitionReady:
		if json.Unmarshal(raw, &td) == nil {
			d.ready(td.TransitionID)
		}
		return true
	case dave.OpMLSInvalidCommitWelcome:
		d.report(func(r *DAVEReport) { r.Invalid++ })
		return true
	}
	return false
}

func (d *daveState) keyPackage(kp []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.report(func(r *DAVEReport) { r.KeyPackages++ })
	if !d.started {
		return
	}
	if _, err := mls.ParseKeyPackageMessage(kp); err != nil {
		d.fail("client key package: %v", err)
		return
	}
	if d.clientKP != nil {
		// A fresh key package (after op 24, or op 31 and a reset): the
		// client re-initialised, so the group starts over with new
		// simulated members. The ear is retired before it is cleared, so
		// that no frame in flight finds neither.
		if old := d.ear.Load(); old != nil {
			delete(d.members, old.m.UserID())
			if prev := d.retired.Swap(old); prev != nil {
				prev.m.Close()
			}
		}
		d.ear.Store(nil)
		for u, m := range d.members {
			m.Close()
			delete(d.members, u)
		}
		clear(d.inGroup)
		d.epoch, d.leaves, d.queue, d.pending, d.addedInit = 0, nil, nil, nil, false
	}
	d.clientKP = append([]byte(nil), kp...)
	d.leaves, d.clientIn = []uint64{d.client.Load()}, true // the client's local group
	if !d.addedInit && d.opts.Members > 0 {
		d.addedInit = true
		if _, err := d.addLocked(d.opts.Members); err != nil {
			d.fail("initial members: %v", err)
		} else if d.opts.MembersCommit {
			// The first member founds the group (its local epoch 0) and
			// adds the client and the others.
			c := d.queue[len(d.queue)-1]
			f := c.add[0]
			c.add, c.kps, c.addClient = c.add[1:], c.kps[1:], true
			d.inGroup[f.UserID()] = true
			d.ear.Store(&earRef{f})
			d.leaves, d.clientIn = []uint64{f.UserID()}, false
		}
	}
	d.nextLocked()
}

// recognizedLocked lists the client and every simulated member.
func (d *daveState) recognizedLocked() []uint64 {
	out := []uint64{d.client.Load()}
	for u := range d.members {
		out = append(out, u)
	}
	return out
}

func (d *daveState) addLocked(n int) ([]uint64, error) {
	if !d.started {
		return nil, ErrDAVEOff
	}
	c := &daveChange{}
	var ids []uint64
	for range n {
		u := d.nextUser
		d.nextUser++
		m, err := d.opts.NewMember(u)
		if err != nil {
			for _, m := range c.add {
				m.Close()
				delete(d.members, m.UserID())
			}
			return nil, err
		}
		d.members[u] = m
		c.add = append(c.add, m)
		ids = append(ids, u)
	}
	// Every joiner must recognise all the others in its Welcome.
	rec := d.recognizedLocked()
	for _, m := range c.add {
		kp, err := m.Start(d.channel, d.ext, rec)
		if err != nil {
			for _, m := range c.add {
				m.Close()
				delete(d.members, m.UserID())
			}
			return nil, fmt.Errorf("voicetest: member %d start: %w", m.UserID(), err)
		}
		c.kps = append(c.kps, kp)
	}
	d.queue = append(d.queue, c)
	return ids, nil
}

// nextLocked proposes the next queued change if none is in flight.
func (d *daveState) nextLocked() {
	if d.pending != nil || d.clientKP == nil || len(d.queue) == 0 {
		return
	}
	c := d.queue[0]
	d.queue = d.queue[1:]
	if c.downgrade {
		c.tid = d.takeTID()
		d.pending = c
		d.ss.SendJSON(dave.OpPrepareTransition, map[string]any{"transition_id": c.tid, "protocol_version": 0})
		return
	}
	c.refs = map[string]uint64{}
	var msgs []*mls.PublicMessage
	propose := func(p mls.Proposal, u uint64) {
		pm, err := mls.ExternalProposal(d.key, d.groupID, d.epoch, p)
		if err != nil {
			d.fail("proposal: %v", err)
			return
		}
		msgs = append(msgs, pm)
		c.refs[string(mls.ProposalRef(&pm.AuthenticatedContent))] = u
	}
	for _, u := range c.remove {
		for i, lu := range d.leaves {
			if lu == u {
				propose(mls.Proposal{Type: mls.ProposalRemove, Removed: uint32(i)}, u)
				d.ss.SendJSON(dave.OpClientDisconnect, map[string]any{"user_id": strconv.FormatUint(u, 10)})
			}
		}
	}
	if c.addClient {
		if p, err := mls.ParseKeyPackageMessage(d.clientKP); err == nil {
			propose(mls.Proposal{Type: mls.ProposalAdd, KeyPackage: *p}, d.client.Load())
		}
	}
	for i, kp := range c.kps {
		p, err := mls.ParseKeyPackageMessage(kp)
		if err != nil {
			d.fail("member key package: %v", err)
			continue
		}
		propose(mls.Proposal{Type: mls.ProposalAdd, KeyPackage: *p}, c.add[i].UserID())
	}
	if len(msgs) == 0 {
		d.nextLocked()
		return
	}
	// The client must recognise every member it meets in a proposal or a
	// Welcome.
	var ids []string
	for u := range d.members {
		ids = append(ids, strconv.FormatUint(u, 10))
	}
	d.ss.SendClientsConnect(ids...)
	payload := dave.AppendProposalsPayload(msgs...)
	rec := d.recognizedLocked()
	var memberCommit []byte
	ear := d.ear.Load()
	for u, m := range d.members {
		if d.inGroup[u] && !contains(c.remove, u) {
			cw, err := m.Proposals(payload, rec)
			if err != nil {
				d.fail("member %d proposals: %v", u, err)
			}
			if ear != nil && ear.m == m {
				memberCommit = cw
			}
		}
	}
	d.pending = c
	if d.clientIn {
		if err := d.ss.SendBinary(dave.OpMLSProposals, payload); err != nil {
			d.fail("op 27: %v", err)
		}
	}
	if d.opts.MembersCommit {
		// The gateway forwards the first commit: the ear's.
		if err := d.relayLocked(c, memberCommit); err != nil {
			d.fail("member commit: %v", err)
		}
	}
}

func contains(s []uint64, u uint64) bool {
	for _, x := range s {
		if x == u {
			return true
		}
	}
	return false
}

// commit handles the client's op 28.
func (d *daveState) commit(payload []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opts.MembersCommit || d.relayLocked(d.pending, payload) != nil {
		d.report(func(r *DAVEReport) { r.IgnoredCommit++ })
	}
}

// relayLocked checks an op 28 payload for the pending change and relays
// it: op 29 to the group, op 30 to the joiners.
func (d *daveState) relayLocked(c *daveChange, payload []byte) error {
	if c == nil || c.tid != 0 || c.downgrade {
		return errors.New("voicetest: no change awaits a commit")
	}
	commit, w, err := dave.SplitCommitWelcome(payload)
	var m *mls.Message
	if err == nil {
		m, err = mls.ParseMessage(commit)
	}
	if err != nil {
		return err
	}
	if m.Public == nil || m.Public.Content.Commit == nil || m.Public.Content.Epoch != d.epoch {
		return errors.New("voicetest: commit for another epoch")
	}
	if (len(c.add) > 0 || c.addClient) && w == nil {
		return errors.New("voicetest: adds without a Welcome")
	}
	// The order of application (RFC 9420 §12.3): removes, then adds in the
	// commit's order, each into the leftmost blank leaf.
	var added []uint64
	for _, por := range m.Public.Content.Commit.Proposals {
		u, ok := c.refs[string(por.Ref)]
		if !ok {
			return errors.New("voicetest: commit covers an unknown proposal")
		}
		if !contains(c.remove, u) {
			added = append(added, u)
		}
	}
	if len(added)+len(c.remove) != len(c.refs) {
		return errors.New("voicetest: commit leaves proposals out")
	}
	tid := d.takeTID()
	c.tid = tid
	wire := binary.BigEndian.AppendUint16(nil, tid)
	if d.clientIn {
		if err := d.ss.SendBinary(dave.OpMLSAnnounceCommit, append(wire, commit...)); err != nil {
			d.fail("op 29: %v", err)
		}
	}
	for _, u := range c.remove {
		if m := d.members[u]; m != nil {
			m.Close()
			delete(d.members, u)
		}
		delete(d.inGroup, u)
		for i, lu := range d.leaves {
			if lu == u {
				d.leaves[i] = 0
			}
		}
	}
	for len(d.leaves) > 0 && d.leaves[len(d.leaves)-1] == 0 {
		d.leaves = d.leaves[:len(d.leaves)-1]
	}
	for u, mb := range d.members {
		if d.inGroup[u] {
			if err := mb.Commit(tid, commit); err != nil {
				d.fail("member %d commit: %v", u, err)
			}
		}
	}
	var welcome []byte
	if w != nil {
		welcome = w.Marshal()
	}
	for _, u := range added {
		placed := false
		for i, lu := range d.leaves {
			if lu == 0 {
				d.leaves[i], placed = u, true
				break
			}
		}
		if !placed {
			d.leaves = append(d.leaves, u)
		}
		if u == d.client.Load() && c.addClient {
			if err := d.ss.SendBinary(dave.OpMLSWelcome, append(wire, welcome...)); err != nil {
				d.fail("op 30: %v", err)
			}
			d.clientIn = true
			continue
		}
		mb := d.members[u]
		if mb == nil {
			continue
		}
		if err := mb.Welcome(tid, welcome); err != nil {
			d.fail("member %d welcome: %v", u, err)
			continue
		}
		d.inGroup[u] = true
		if d.ear.Load() == nil {
			d.ear.Store(&earRef{mb})
		}
	}
	d.epoch++
	n := len(d.inGroup)
	d.report(func(r *DAVEReport) {
		r.Commits++
		r.Welcomes += len(added)
		r.Epoch, r.Members = d.epoch, n
	})
	return nil
}

func (d *daveState) takeTID() uint16 {
	tid := d.nextTID
	d.nextTID++
	if d.nextTID == 0 {
		d.nextTID = 1 // 0 means "execute at once"
	}
	return tid
}

// ready completes the pending transition once the client is ready.
func (d *daveState) ready(tid uint16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.pending
	if c == nil || c.tid == 0 || c.tid != tid {
		return
	}
	d.report(func(r *DAVEReport) { r.ReadyAcks++ })
	if c.downgrade {
		d.passthrough.Store(ptOn)
		d.report(func(r *DAVEReport) { r.Version, r.Downgrades = 0, r.Downgrades+1 })
	} else if d.passthrough.Load() == ptOn {
		d.passthrough.Store(ptEnding)
		d.report(func(r *DAVEReport) { r.Version = dave.MaxProtocolVersion })
	}
	d.ss.SendJSON(dave.OpExecuteTransition, map[string]any{"transition_id": tid})
	for u, mb := range d.members {
		if d.inGroup[u] {
			if err := mb.Execute(tid); err != nil {
				d.fail("member %d execute: %v", u, err)
			}
		}
	}
	d.pending = nil
	d.report(func(r *DAVEReport) { r.Transitions++ })
	d.nextLocked()
}

// open removes the DAVE layer of one client Opus frame (called with
// ss.mu held); nil means it did not open.
func (d *daveState) open(payload []byte, r *DAVEReport) []byte {
	if isSilence(payload) {
		r.Silence++
		return payload
	}
	n := len(payload)
	if n < 2 || payload[n-1] != 0xFA || payload[n-2] != 0xFA {
		if d.passthrough.Load() != ptOff {
			r.Passthrough++
			return payload
		}
		r.Plain++
		r.DecryptFailed++
		return nil
	}
	d.passthrough.CompareAndSwap(ptEnding, ptOff)
	user := d.client.Load()
	if ear := d.ear.Load(); ear != nil {
		if pt, err := ear.m.Decrypt(user, payload); err == nil {
			if old := d.retired.Swap(nil); old != nil {
				old.m.Close() // the client has moved to the new group
			}
			r.Frames++
			return pt
		}
	}
	if old := d.retired.Load(); old != nil {
		if pt, err := old.m.Decrypt(user, payload); err == nil {
			r.Frames++
			return pt
		}
	}
	r.DecryptFailed++
	d.ss.srv.logf("voicetest: dave: frame %x did not open", payload[max(0, n-16):])
	return nil
}

// DAVEAddMembers adds n simulated members to the session's group (after
// any change already in flight) and returns their user ids.
func (ss *Session) DAVEAddMembers(n int) ([]uint64, error) {
	d := ss.dave
	if d == nil {
		return nil, ErrDAVEOff
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ids, err := d.addLocked(n)
	if err != nil {
		return nil, err
	}
	d.nextLocked()
	return ids, nil
}

// DAVERemoveMember makes a simulated member leave the call: op 13 to the
// client and a Remove proposal. The ear (the first member) cannot leave.
func (ss *Session) DAVERemoveMember(user uint64) error {
	d := ss.dave
	if d == nil {
		return ErrDAVEOff
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.members[user] == nil {
		return fmt.Errorf("voicetest: no simulated member %d", user)
	}
	if e := d.ear.Load(); e != nil && e.m.UserID() == user {
		return fmt.Errorf("voicetest: member %d is the ear", user)
	}
	d.queue = append(d.queue, &daveChange{remove: []uint64{user}})
	d.nextLocked()
	return nil
}

// DAVEDowngrade moves the call to protocol version 0 (op 21, then op 22
// once the client is ready); plain frames are accepted from then on.
func (ss *Session) DAVEDowngrade() error {
	d := ss.dave
	if d == nil {
		return ErrDAVEOff
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		return ErrDAVEOff
	}
	d.queue = append(d.queue, &daveChange{downgrade: true})
	d.nextLocked()
	return nil
}

// DAVEReinit starts the group over at protocol version 1 (op 24 with epoch
// 1, then op 25): the client answers with a fresh key package and the
// simulated members join its new group, as in an upgrade or a sole-member
// reset.
func (ss *Session) DAVEReinit() error {
	d := ss.dave
	if d == nil {
		return ErrDAVEOff
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started || d.pending != nil {
		return fmt.Errorf("%w: not started or a transition is in flight", ErrDAVEOff)
	}
	d.ss.SendJSON(dave.OpPrepareEpoch, map[string]any{"epoch": 1, "protocol_version": dave.MaxProtocolVersion})
	d.report(func(r *DAVEReport) { r.Reinits++ })
	return d.ss.SendBinary(dave.OpMLSExternalSender, d.ext)
}

// prevKeyLife is how long a receiver keeps the previous epoch's key
// (discord-voice.md §3.5).
const prevKeyLife = 10 * time.Second

// GoMember is a simulated member built on node/voice/dave.
type GoMember struct {
	user uint64
	mu   sync.Mutex
	s    *dave.Session
	decs map[uint64]*senderKeys
}

// senderKeys are one sender's decryptors: the current epoch's and a few
// earlier ones, each kept for prevKeyLife after it was superseded.
type senderKeys struct {
	epoch uint64
	cur   *dave.Decryptor
	old   []oldKey
}

type oldKey struct {
	d     *dave.Decryptor
	until time.Time
}

// maxOldKeys bounds the earlier epochs kept per sender.
const maxOldKeys = 4

// NewGoMember returns a pure-Go simulated member for user.
func NewGoMember(user uint64) *GoMember {
	return &GoMember{user: user, decs: map[uint64]*senderKeys{}}
}

// UserID implements DAVEMember.
func (g *GoMember) UserID() uint64 { return g.user }

func idsJSON(ids []uint64) json.RawMessage {
	s := make([]string, len(ids))
	for i, u := range ids {
		s[i] = strconv.FormatUint(u, 10)
	}
	b, _ := json.Marshal(map[string]any{"user_ids": s})
	return b
}

// Start implements DAVEMember.
func (g *GoMember) Start(channelID uint64, ext []byte, recognized []uint64) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.s = dave.New(dave.Config{UserID: g.user, ChannelID: channelID})
	if _, err := g.s.HandleJSON(dave.OpClientsConnect, idsJSON(recognized)); err != nil {
		return nil, err
	}
	r, err := g.s.HandleJSON(dave.OpSessionDescription, json.RawMessage(`{"dave_protocol_version":1}`))
	if err != nil {
		return nil, err
	}
	if len(r) != 1 || r[0].Op != dave.OpMLSKeyPackage {
		return nil, errors.New("voicetest: no key package")
	}
	if _, err := g.s.HandleBinary(dave.OpMLSExternalSender, ext); err != nil {
		return nil, err
	}
	return r[0].Binary, nil
}

// Proposals implements DAVEMember.
func (g *GoMember) Proposals(payload []byte, recognized []uint64) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, err := g.s.HandleJSON(dave.OpClientsConnect, idsJSON(recognized)); err != nil {
		return nil, err
	}
	r, err := g.s.HandleBinary(dave.OpMLSProposals, payload)
	for _, x := range r {
		if x.Op == dave.OpMLSCommitWelcome {
			return x.Binary, err
		}
	}
	return nil, err
}

func (g *GoMember) transition(op byte, tid uint16, b []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// Take every known sender's key of the epoch being left, so that its
	// frames still open even if none arrives before the next change.
	for sender := range g.decs {
		_, _ = g.keysLocked(sender)
	}
	r, err := g.s.HandleBinary(op, append(binary.BigEndian.AppendUint16(nil, tid), b...))
	if err != nil {
		return err
	}
	for _, x := range r {
		if td, ok := x.JSON.(dave.TransitionData); ok && x.Op == dave.OpTransitionReady && td.TransitionID == tid {
			return nil
		}
	}
	return fmt.Errorf("voicetest: member %d not ready for transition %d", g.user, tid)
}

// Commit implements DAVEMember.
func (g *GoMember) Commit(tid uint16, commit []byte) error {
	return g.transition(dave.OpMLSAnnounceCommit, tid, commit)
}

// Welcome implements DAVEMember.
func (g *GoMember) Welcome(tid uint16, welcome []byte) error {
	return g.transition(dave.OpMLSWelcome, tid, welcome)
}

// Execute implements DAVEMember.
func (g *GoMember) Execute(tid uint16) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, err := g.s.HandleJSON(dave.OpExecuteTransition, fmt.Appendf(nil, `{"transition_id":%d}`, tid))
	return err
}

// Decrypt implements DAVEMember: the current epoch's key first, then the
// earlier epochs' for prevKeyLife after each change.
func (g *GoMember) Decrypt(sender uint64, frame []byte) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k, err := g.keysLocked(sender)
	if err != nil {
		return nil, err
	}
	pt, err := k.cur.Decrypt(frame)
	if err == nil {
		return pt, nil
	}
	now := time.Now()
	for _, o := range k.old {
		if now.Before(o.until) {
			if p2, err2 := o.d.Decrypt(frame); err2 == nil {
				return p2, nil
			}
		}
	}
	return nil, err
}

// keysLocked returns sender's decryptors, moved on to the current epoch.
func (g *GoMember) keysLocked(sender uint64) (*senderKeys, error) {
	if g.s == nil {
		return nil, ErrDAVEOff
	}
	e, ok := g.s.Epoch()
	if !ok {
		return nil, dave.ErrNotReady
	}
	k := g.decs[sender]
	if k != nil && k.epoch == e {
		return k, nil
	}
	cur, err := g.s.Decryptor(sender)
	if err != nil {
		return nil, err
	}
	nk := &senderKeys{epoch: e, cur: cur}
	if k != nil {
		nk.old = append(k.old, oldKey{k.cur, time.Now().Add(prevKeyLife)})
		if len(nk.old) > maxOldKeys {
			nk.old = nk.old[len(nk.old)-maxOldKeys:]
		}
	}
	g.decs[sender] = nk
	return nk, nil
}

// Close implements DAVEMember.
func (g *GoMember) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.s != nil {
		g.s.Close()
	}
	clear(g.decs)
}
