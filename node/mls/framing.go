package mls

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrMembershipTag means a PublicMessage membership tag did not match.
var ErrMembershipTag = errors.New("mls: bad membership tag")

// Wire formats.
const (
	WirePublicMessage  uint16 = 1
	WirePrivateMessage uint16 = 2
	WireWelcome        uint16 = 3
	WireGroupInfo      uint16 = 4
	WireKeyPackage     uint16 = 5
)

// Content types.
const (
	ContentApplication uint8 = 1
	ContentProposal    uint8 = 2
	ContentCommit      uint8 = 3
)

// Sender types.
const (
	SenderMember            uint8 = 1
	SenderExternal          uint8 = 2
	SenderNewMemberProposal uint8 = 3
	SenderNewMemberCommit   uint8 = 4
)

// Sender identifies who framed a message.
type Sender struct {
	Type  uint8
	Index uint32 // leaf index (member) or sender index (external)
}

func (s Sender) write(w *Writer) {
	w.U8(s.Type)
	if s.Type == SenderMember || s.Type == SenderExternal {
		w.U32(s.Index)
	}
}

func readSender(r *Reader) Sender {
	s := Sender{Type: r.U8()}
	switch s.Type {
	case SenderMember, SenderExternal:
		s.Index = r.U32()
	case SenderNewMemberProposal, SenderNewMemberCommit:
	default:
		r.Fail(fmt.Errorf("%w: sender type %d", ErrInvalid, s.Type))
	}
	return s
}

// FramedContent is RFC 9420 §6 FramedContent.
type FramedContent struct {
	GroupID           []byte
	Epoch             uint64
	Sender            Sender
	AuthenticatedData []byte
	ContentType       uint8
	Application       []byte
	Proposal          *Proposal
	Commit            *Commit
}

func (fc *FramedContent) writeBody(w *Writer) {
	switch fc.ContentType {
	case ContentApplication:
		w.Opaque(fc.Application)
	case ContentProposal:
		fc.Proposal.write(w)
	case ContentCommit:
		fc.Commit.write(w)
	}
}

func readBody(r *Reader, fc *FramedContent) {
	switch fc.ContentType {
	case ContentApplication:
		fc.Application = r.OpaqueCopy()
	case ContentProposal:
		p := readProposal(r)
		fc.Proposal = &p
	case ContentCommit:
		c := readCommit(r)
		fc.Commit = &c
	default:
		r.Fail(fmt.Errorf("%w: content type %d", ErrInvalid, fc.ContentType))
	}
}

func (fc *FramedContent) write(w *Writer) {
	w.Opaque(fc.GroupID)
	w.U64(fc.Epoch)
	fc.Sender.write(w)
	w.Opaque(fc.AuthenticatedData)
	w.U8(fc.ContentType)
	fc.writeBody(w)
}

func readFramedContent(r *Reader) FramedContent {
	var fc FramedContent
	fc.GroupID = r.OpaqueCopy()
	fc.Epoch = r.U64()
	fc.Sender = readSender(r)
	fc.AuthenticatedData = r.OpaqueCopy()
	fc.ContentType = r.U8()
	readBody(r, &fc)
	return fc
}

// AuthenticatedContent is framed content with its wire format and auth data.
type AuthenticatedContent struct {
	WireFormat      uint16
	Content         FramedContent
	Signature       []byte
	ConfirmationTag []byte // commits only
}

func (ac *AuthenticatedContent) writeAuth(w *Writer) {
	w.Opaque(ac.Signature)
	if ac.Content.ContentType == ContentCommit {
		w.Opaque(ac.ConfirmationTag)
	}
}

func readAuth(r *Reader, ac *AuthenticatedContent) {
	ac.Signature = r.OpaqueCopy()
	if ac.Content.ContentType == ContentCommit {
		ac.ConfirmationTag = r.OpaqueCopy()
	}
}

// Marshal returns the AuthenticatedContent encoding (used for ProposalRef).
func (ac *AuthenticatedContent) Marshal() []byte {
	var w Writer
	w.U16(ac.WireFormat)
	ac.Content.write(&w)
	ac.writeAuth(&w)
	return w.Bytes()
}

// ParseAuthenticatedContent parses an AuthenticatedContent.
func ParseAuthenticatedContent(b []byte) (*AuthenticatedContent, error) {
	r := NewReader(b)
	var ac AuthenticatedContent
	ac.WireFormat = r.U16()
	ac.Content = readFramedContent(r)
	readAuth(r, &ac)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return &ac, nil
}

// tbs returns FramedContentTBS; ctx is required for member and
// new-member-commit senders.
func (ac *AuthenticatedContent) tbs(ctx []byte) []byte {
	var w Writer
	w.U16(ProtocolVersion)
	w.U16(ac.WireFormat)
	ac.Content.write(&w)
	if t := ac.Content.Sender.Type; t == SenderMember || t == SenderNewMemberCommit {
		w.Raw(ctx)
	}
	return w.Bytes()
}

// Sign sets the signature over FramedContentTBS.
func (ac *AuthenticatedContent) Sign(k *SignatureKey, groupContext []byte) error {
	sig, err := k.SignWithLabel("FramedContentTBS", ac.tbs(groupContext))
	if err != nil {
		return err
	}
	ac.Signature = sig
	return nil
}

// Verify checks the signature against pub.
func (ac *AuthenticatedContent) Verify(pub, groupContext []byte) error {
	return VerifyWithLabel(pub, "FramedContentTBS", ac.tbs(groupContext), ac.Signature)
}

func (ac *AuthenticatedContent) membershipTag(membershipKey, groupContext []byte) []byte {
	var w Writer
	w.Raw(ac.tbs(groupContext))
	ac.writeAuth(&w)
	return mac(membershipKey, w.Bytes())
}

// ConfirmedTranscriptInput returns ConfirmedTranscriptHashInput.
func (ac *AuthenticatedContent) confirmedInput() []byte {
	var w Writer
	w.U16(ac.WireFormat)
	ac.Content.write(&w)
	w.Opaque(ac.Signature)
	return w.Bytes()
}

// ConfirmedTranscriptHash computes the next confirmed transcript hash.
func ConfirmedTranscriptHash(interimBefore []byte, ac *AuthenticatedContent) []byte {
	return hash(interimBefore, ac.confirmedInput())
}

// InterimTranscriptHash computes the interim hash from a confirmed hash and tag.
func InterimTranscriptHash(confirmed, confirmationTag []byte) []byte {
	var w Writer
	w.Opaque(confirmationTag)
	return hash(confirmed, w.Bytes())
}

// ConfirmationTag is MAC(confirmation_key, confirmed_transcript_hash).
func ConfirmationTag(confirmationKey, confirmed []byte) []byte {
	return mac(confirmationKey, confirmed)
}

// PublicMessage is RFC 9420 §6.2 PublicMessage.
type PublicMessage struct {
	AuthenticatedContent
	MembershipTag []byte
}

// Message is a parsed MLSMessage. Exactly one field is set.
type Message struct {
	Public     *PublicMessage
	Private    *PrivateMessage
	Welcome    *Welcome
	GroupInfo  *GroupInfo
	KeyPackage *KeyPackage
}

func readPublicMessage(r *Reader) *PublicMessage {
	pm := &PublicMessage{}
	pm.WireFormat = WirePublicMessage
	pm.Content = readFramedContent(r)
	readAuth(r, &pm.AuthenticatedContent)
	if pm.Content.Sender.Type == SenderMember {
		pm.MembershipTag = r.OpaqueCopy()
	}
	return pm
}

func (pm *PublicMessage) write(w *Writer) {
	pm.Content.write(w)
	pm.writeAuth(w)
	if pm.Content.Sender.Type == SenderMember {
		w.Opaque(pm.MembershipTag)
	}
}

// Marshal returns the MLSMessage encoding.
func (pm *PublicMessage) Marshal() []byte {
	var w Writer
	w.U16(ProtocolVersion)
	w.U16(WirePublicMessage)
	pm.write(&w)
	return w.Bytes()
}

// ReadMessage reads one MLSMessage from r (allowing trailing data for the caller).
func ReadMessage(r *Reader) *Message {
	if v := r.U16(); r.Err() == nil && v != ProtocolVersion {
		r.Fail(fmt.Errorf("%w: protocol version %d", ErrInvalid, v))
	}
	m := &Message{}
	switch wf := r.U16(); wf {
	case WirePublicMessage:
		m.Public = readPublicMessage(r)
	case WirePrivateMessage:
		m.Private = readPrivateMessage(r)
	case WireWelcome:
		w := readWelcome(r)
		m.Welcome = &w
	case WireGroupInfo:
		gi := readGroupInfo(r)
		m.GroupInfo = &gi
	case WireKeyPackage:
		kp := readKeyPackage(r)
		m.KeyPackage = &kp
	default:
		r.Fail(fmt.Errorf("%w: wire format %d", ErrInvalid, wf))
	}
	return m
}

// ParseMessage parses a complete MLSMessage.
func ParseMessage(b []byte) (*Message, error) {
	r := NewReader(b)
	m := ReadMessage(r)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return m, nil
}

// ProtectPublic signs content and, for member senders, adds the membership tag.
func ProtectPublic(fc FramedContent, k *SignatureKey, groupContext, membershipKey, confirmationTag []byte) (*PublicMessage, error) {
	pm := &PublicMessage{AuthenticatedContent: AuthenticatedContent{WireFormat: WirePublicMessage, Content: fc}}
	if err := pm.Sign(k, groupContext); err != nil {
		return nil, err
	}
	pm.ConfirmationTag = confirmationTag
	if fc.Sender.Type == SenderMember {
		pm.MembershipTag = pm.membershipTag(membershipKey, groupContext)
	}
	return pm, nil
}

// VerifyPublic checks the membership tag (member senders) and signature.
func (pm *PublicMessage) VerifyPublic(signerPub, groupContext, membershipKey []byte) error {
	if pm.Content.Sender.Type == SenderMember {
		if !equal(pm.MembershipTag, pm.membershipTag(membershipKey, groupContext)) {
			return ErrMembershipTag
		}
	}
	if pm.Content.ContentType == ContentApplication {
		return fmt.Errorf("%w: application data in a public message", ErrInvalid)
	}
	return pm.Verify(signerPub, groupContext)
}

// PrivateMessage is RFC 9420 §6.3 PrivateMessage.
type PrivateMessage struct {
	GroupID             []byte
	Epoch               uint64
	ContentType         uint8
	AuthenticatedData   []byte
	EncryptedSenderData []byte
	Ciphertext          []byte
}

func readPrivateMessage(r *Reader) *PrivateMessage {
	pm := &PrivateMessage{}
	pm.GroupID = r.OpaqueCopy()
	pm.Epoch = r.U64()
	pm.ContentType = r.U8()
	if pm.ContentType < ContentApplication || pm.ContentType > ContentCommit {
		r.Fail(fmt.Errorf("%w: content type %d", ErrInvalid, pm.ContentType))
	}
	pm.AuthenticatedData = r.OpaqueCopy()
	pm.EncryptedSenderData = r.OpaqueCopy()
	pm.Ciphertext = r.OpaqueCopy()
	return pm
}

// Marshal returns the MLSMessage encoding.
func (pm *PrivateMessage) Marshal() []byte {
	var w Writer
	w.U16(ProtocolVersion)
	w.U16(WirePrivateMessage)
	w.Opaque(pm.GroupID)
	w.U64(pm.Epoch)
	w.U8(pm.ContentType)
	w.Opaque(pm.AuthenticatedData)
	w.Opaque(pm.EncryptedSenderData)
	w.Opaque(pm.Ciphertext)
	return w.Bytes()
}

func (pm *PrivateMessage) contentAAD() []byte {
	var w Writer
	w.Opaque(pm.GroupID)
	w.U64(pm.Epoch)
	w.U8(pm.ContentType)
	w.Opaque(pm.AuthenticatedData)
	return w.Bytes()
}

func (pm *PrivateMessage) senderDataAAD() []byte {
	var w Writer
	w.Opaque(pm.GroupID)
	w.U64(pm.Epoch)
	w.U8(pm.ContentType)
	return w.Bytes()
}

// PrivateKeys are the epoch secrets needed to protect or unprotect PrivateMessages.
type PrivateKeys struct {
	tree             *secretTree
	senderDataSecret []byte
}

// NewPrivateKeys builds the secret tree for an epoch.
func NewPrivateKeys(encryptionSecret, senderDataSecret []byte, nLeaves uint32) *PrivateKeys {
	return &PrivateKeys{tree: newSecretTree(encryptionSecret, nLeaves), senderDataSecret: senderDataSecret}
}

func (pk *PrivateKeys) ratchetFor(ct uint8, leaf uint32) (*ratchet, error) {
	hs, app, err := pk.tree.ratchets(leaf)
	if err != nil {
		return nil, err
	}
	if ct == ContentApplication {
		return app, nil
	}
	return hs, nil
}

// ProtectPrivate signs and encrypts member content.
func ProtectPrivate(fc FramedContent, k *SignatureKey, groupContext, confirmationTag []byte, keys *PrivateKeys) (*PrivateMessage, error) {
	if fc.Sender.Type != SenderMember {
		return nil, fmt.Errorf("%w: private messages need a member sender", ErrInvalid)
	}
	ac := AuthenticatedContent{WireFormat: WirePrivateMessage, Content: fc}
	if err := ac.Sign(k, groupContext); err != nil {
		return nil, err
	}
	ac.ConfirmationTag = confirmationTag
	rt, err := keys.ratchetFor(fc.ContentType, fc.Sender.Index)
	if err != nil {
		return nil, err
	}
	gen := rt.generation
	key, nonce, err := rt.get(gen)
	if err != nil {
		return nil, err
	}
	rt.advance()
	var guard [4]byte
	if _, err := rand.Read(guard[:]); err != nil {
		return nil, err
	}
	for i := range guard {
		nonce[i] ^= guard[i]
	}
	pm := &PrivateMessage{GroupID: fc.GroupID, Epoch: fc.Epoch, ContentType: fc.ContentType, AuthenticatedData: fc.AuthenticatedData}
	var body Writer
	fc.writeBody(&body)
	ac.writeAuth(&body)
	pm.Ciphertext = aeadSeal(key, nonce, pm.contentAAD(), body.Bytes())
	var sd Writer
	sd.U32(fc.Sender.Index)
	sd.U32(gen)
	sd.Raw(guard[:])
	sk, sn := senderDataKeyNonce(keys.senderDataSecret, pm.Ciphertext)
	pm.EncryptedSenderData = aeadSeal(sk, sn, pm.senderDataAAD(), sd.Bytes())
	return pm, nil
}

// Unprotect decrypts a PrivateMessage into AuthenticatedContent. The caller
// verifies the signature with the sender's key.
func (pm *PrivateMessage) Unprotect(keys *PrivateKeys) (*AuthenticatedContent, error) {
	sk, sn := senderDataKeyNonce(keys.senderDataSecret, pm.Ciphertext)
	sdb, err := aeadOpen(sk, sn, pm.senderDataAAD(), pm.EncryptedSenderData)
	if err != nil {
		return nil, fmt.Errorf("sender data: %w", err)
	}
	r := NewReader(sdb)
	leaf, gen, guard := r.U32(), r.U32(), r.Raw(4)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	rt, err := keys.ratchetFor(pm.ContentType, leaf)
	if err != nil {
		return nil, err
	}
	key, nonce, err := rt.get(gen)
	if err != nil {
		return nil, err
	}
	for i := range guard {
		nonce[i] ^= guard[i]
	}
	body, err := aeadOpen(key, nonce, pm.contentAAD(), pm.Ciphertext)
	if err != nil {
		return nil, err
	}
	rt.advance()
	ac := &AuthenticatedContent{WireFormat: WirePrivateMessage}
	ac.Content = FramedContent{
		GroupID: pm.GroupID, Epoch: pm.Epoch, Sender: Sender{Type: SenderMember, Index: leaf},
		AuthenticatedData: pm.AuthenticatedData, ContentType: pm.ContentType,
	}
	br := NewReader(body)
	readBody(br, &ac.Content)
	readAuth(br, ac)
	if br.Err() != nil {
		return nil, br.Err()
	}
	for _, c := range br.Rest() {
		if c != 0 {
			return nil, fmt.Errorf("%w: non-zero padding", ErrInvalid)
		}
	}
	return ac, nil
}

// ExternalProposal frames and signs a proposal from external sender index
// 0 (the DAVE voice gateway's role).
func ExternalProposal(k *SignatureKey, groupID []byte, epoch uint64, p Proposal) (*PublicMessage, error) {
	fc := FramedContent{GroupID: groupID, Epoch: epoch, Sender: Sender{Type: SenderExternal}, ContentType: ContentProposal, Proposal: &p}
	return ProtectPublic(fc, k, nil, nil, nil)
}

// ParseKeyPackageMessage parses a KeyPackage sent bare (what libdave and
// davey send in op 26) or wrapped in an MLSMessage.
func ParseKeyPackageMessage(b []byte) (*KeyPackage, error) {
	if kp, err := ParseKeyPackage(b); err == nil {
		return kp, nil
	}
	m, err := ParseMessage(b)
	if err != nil {
		return nil, err
	}
	if m.KeyPackage == nil {
		return nil, fmt.Errorf("%w: not a key package", ErrInvalid)
	}
	return m.KeyPackage, nil
}
