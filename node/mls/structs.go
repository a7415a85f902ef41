package mls

import "fmt"

// Credential types.
const (
	CredentialBasic uint16 = 1
	CredentialX509  uint16 = 2
)

// Credential is a basic or X.509 credential.
type Credential struct {
	Type     uint16
	Identity []byte   // basic
	Certs    [][]byte // x509
}

func (c *Credential) write(w *Writer) {
	w.U16(c.Type)
	switch c.Type {
	case CredentialBasic:
		w.Opaque(c.Identity)
	case CredentialX509:
		w.Vector(func(w *Writer) {
			for _, cert := range c.Certs {
				w.Opaque(cert)
			}
		})
	}
}

func readCredential(r *Reader) Credential {
	var c Credential
	c.Type = r.U16()
	switch c.Type {
	case CredentialBasic:
		c.Identity = r.OpaqueCopy()
	case CredentialX509:
		r.Vector(func(r *Reader) { c.Certs = append(c.Certs, r.OpaqueCopy()) })
	default:
		r.Fail(fmt.Errorf("%w: credential type %d", ErrInvalid, c.Type))
	}
	return c
}

// Capabilities lists what a leaf supports.
type Capabilities struct {
	Versions     []uint16
	CipherSuites []uint16
	Extensions   []uint16
	Proposals    []uint16
	Credentials  []uint16
}

func writeU16s(w *Writer, v []uint16) {
	w.Vector(func(w *Writer) {
		for _, x := range v {
			w.U16(x)
		}
	})
}

func readU16s(r *Reader) []uint16 {
	var v []uint16
	r.Vector(func(r *Reader) { v = append(v, r.U16()) })
	return v
}

func (c *Capabilities) write(w *Writer) {
	writeU16s(w, c.Versions)
	writeU16s(w, c.CipherSuites)
	writeU16s(w, c.Extensions)
	writeU16s(w, c.Proposals)
	writeU16s(w, c.Credentials)
}

func readCapabilities(r *Reader) Capabilities {
	return Capabilities{readU16s(r), readU16s(r), readU16s(r), readU16s(r), readU16s(r)}
}

// Leaf node sources.
const (
	SourceKeyPackage uint8 = 1
	SourceUpdate     uint8 = 2
	SourceCommit     uint8 = 3
)

// LeafNode is RFC 9420 §7.2 LeafNode.
type LeafNode struct {
	EncryptionKey []byte
	SignatureKey  []byte
	Credential    Credential
	Capabilities  Capabilities
	Source        uint8
	NotBefore     uint64 // key_package source
	NotAfter      uint64
	ParentHash    []byte // commit source
	Extensions    []Extension
	Signature     []byte
}

func (ln *LeafNode) writeTBSBody(w *Writer) {
	w.Opaque(ln.EncryptionKey)
	w.Opaque(ln.SignatureKey)
	ln.Credential.write(w)
	ln.Capabilities.write(w)
	w.U8(ln.Source)
	switch ln.Source {
	case SourceKeyPackage:
		w.U64(ln.NotBefore)
		w.U64(ln.NotAfter)
	case SourceCommit:
		w.Opaque(ln.ParentHash)
	}
	writeExtensions(w, ln.Extensions)
}

func (ln *LeafNode) write(w *Writer) {
	ln.writeTBSBody(w)
	w.Opaque(ln.Signature)
}

// tbs returns LeafNodeTBS; groupID and leaf apply to update/commit sources.
func (ln *LeafNode) tbs(groupID []byte, leaf uint32) []byte {
	var w Writer
	ln.writeTBSBody(&w)
	if ln.Source == SourceUpdate || ln.Source == SourceCommit {
		w.Opaque(groupID)
		w.U32(leaf)
	}
	return w.Bytes()
}

func (ln *LeafNode) sign(k *SignatureKey, groupID []byte, leaf uint32) error {
	sig, err := k.SignWithLabel("LeafNodeTBS", ln.tbs(groupID, leaf))
	if err != nil {
		return err
	}
	ln.Signature = sig
	return nil
}

func (ln *LeafNode) verify(groupID []byte, leaf uint32) error {
	return VerifyWithLabel(ln.SignatureKey, "LeafNodeTBS", ln.tbs(groupID, leaf), ln.Signature)
}

func readLeafNode(r *Reader) LeafNode {
	var ln LeafNode
	ln.EncryptionKey = r.OpaqueCopy()
	ln.SignatureKey = r.OpaqueCopy()
	ln.Credential = readCredential(r)
	ln.Capabilities = readCapabilities(r)
	ln.Source = r.U8()
	switch ln.Source {
	case SourceKeyPackage:
		ln.NotBefore = r.U64()
		ln.NotAfter = r.U64()
	case SourceUpdate:
	case SourceCommit:
		ln.ParentHash = r.OpaqueCopy()
	default:
		r.Fail(fmt.Errorf("%w: leaf node source %d", ErrInvalid, ln.Source))
	}
	ln.Extensions = readExtensions(r)
	ln.Signature = r.OpaqueCopy()
	return ln
}

// KeyPackage is RFC 9420 §10 KeyPackage.
type KeyPackage struct {
	InitKey    []byte
	LeafNode   LeafNode
	Extensions []Extension
	Signature  []byte
}

func (kp *KeyPackage) writeTBS(w *Writer) {
	w.U16(ProtocolVersion)
	w.U16(CipherSuite)
	w.Opaque(kp.InitKey)
	kp.LeafNode.write(w)
	writeExtensions(w, kp.Extensions)
}

func (kp *KeyPackage) write(w *Writer) {
	kp.writeTBS(w)
	w.Opaque(kp.Signature)
}

// Marshal returns the TLS encoding of the bare KeyPackage.
func (kp *KeyPackage) Marshal() []byte {
	var w Writer
	kp.write(&w)
	return w.Bytes()
}

// Ref returns the KeyPackageRef.
func (kp *KeyPackage) Ref() []byte {
	return RefHash("MLS 1.0 KeyPackage Reference", kp.Marshal())
}

func readKeyPackage(r *Reader) KeyPackage {
	var kp KeyPackage
	if v, cs := r.U16(), r.U16(); r.Err() == nil && (v != ProtocolVersion || cs != CipherSuite) {
		r.Fail(fmt.Errorf("%w: key package version %d suite %d", ErrInvalid, v, cs))
	}
	kp.InitKey = r.OpaqueCopy()
	kp.LeafNode = readLeafNode(r)
	kp.Extensions = readExtensions(r)
	kp.Signature = r.OpaqueCopy()
	return kp
}

// ParseKeyPackage parses a bare KeyPackage.
func ParseKeyPackage(b []byte) (*KeyPackage, error) {
	r := NewReader(b)
	kp := readKeyPackage(r)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return &kp, nil
}

// Verify checks the key package's signatures and basic fields (§10.1).
func (kp *KeyPackage) Verify() error {
	if kp.LeafNode.Source != SourceKeyPackage {
		return fmt.Errorf("%w: key package leaf source", ErrInvalid)
	}
	if equal(kp.InitKey, kp.LeafNode.EncryptionKey) {
		return fmt.Errorf("%w: init key equals encryption key", ErrInvalid)
	}
	if _, err := hpkeKEM.NewPublicKey(kp.InitKey); err != nil {
		return fmt.Errorf("%w: init key: %v", ErrInvalid, err)
	}
	if err := kp.LeafNode.verify(nil, 0); err != nil {
		return fmt.Errorf("key package leaf: %w", err)
	}
	var w Writer
	kp.writeTBS(&w)
	if err := VerifyWithLabel(kp.LeafNode.SignatureKey, "KeyPackageTBS", w.Bytes(), kp.Signature); err != nil {
		return fmt.Errorf("key package: %w", err)
	}
	return nil
}

// Proposal types.
const (
	ProposalAdd         uint16 = 1
	ProposalUpdate      uint16 = 2
	ProposalRemove      uint16 = 3
	ProposalPSK         uint16 = 4
	ProposalReInit      uint16 = 5
	ProposalExternal    uint16 = 6
	ProposalGroupCtxExt uint16 = 7
)

// Proposal is an MLS proposal. Only the fields for Type are set.
type Proposal struct {
	Type       uint16
	KeyPackage KeyPackage     // add
	LeafNode   LeafNode       // update
	Removed    uint32         // remove
	PSK        PreSharedKeyID // psk
	ReInit     []byte         // reinit, kept encoded
	KEMOutput  []byte         // external_init
	Extensions []Extension    // group_context_extensions
}

func (p *Proposal) write(w *Writer) {
	w.U16(p.Type)
	switch p.Type {
	case ProposalAdd:
		p.KeyPackage.write(w)
	case ProposalUpdate:
		p.LeafNode.write(w)
	case ProposalRemove:
		w.U32(p.Removed)
	case ProposalPSK:
		p.PSK.write(w)
	case ProposalReInit:
		w.Raw(p.ReInit)
	case ProposalExternal:
		w.Opaque(p.KEMOutput)
	case ProposalGroupCtxExt:
		writeExtensions(w, p.Extensions)
	}
}

// Marshal returns the TLS encoding.
func (p *Proposal) Marshal() []byte {
	var w Writer
	p.write(&w)
	return w.Bytes()
}

func readProposal(r *Reader) Proposal {
	var p Proposal
	p.Type = r.U16()
	switch p.Type {
	case ProposalAdd:
		p.KeyPackage = readKeyPackage(r)
	case ProposalUpdate:
		p.LeafNode = readLeafNode(r)
	case ProposalRemove:
		p.Removed = r.U32()
	case ProposalPSK:
		p.PSK = readPSKID(r)
	case ProposalReInit:
		start := r.Rest()
		r.Opaque()
		r.U16()
		r.U16()
		readExtensions(r)
		if r.Err() == nil {
			p.ReInit = append([]byte{}, start[:len(start)-len(r.Rest())]...)
		}
	case ProposalExternal:
		p.KEMOutput = r.OpaqueCopy()
	case ProposalGroupCtxExt:
		p.Extensions = readExtensions(r)
	default:
		r.Fail(fmt.Errorf("%w: proposal type %d", ErrInvalid, p.Type))
	}
	return p
}

// ProposalOrRef is a proposal inline in a commit or a reference to one.
type ProposalOrRef struct {
	Proposal *Proposal
	Ref      []byte
}

// HPKECiphertext is kem_output and ciphertext.
type HPKECiphertext struct {
	KEMOutput  []byte
	Ciphertext []byte
}

func (c *HPKECiphertext) write(w *Writer) {
	w.Opaque(c.KEMOutput)
	w.Opaque(c.Ciphertext)
}

func readHPKECiphertext(r *Reader) HPKECiphertext {
	return HPKECiphertext{KEMOutput: r.OpaqueCopy(), Ciphertext: r.OpaqueCopy()}
}

// UpdatePathNode is one node of an UpdatePath.
type UpdatePathNode struct {
	EncryptionKey []byte
	Secrets       []HPKECiphertext
}

// UpdatePath is RFC 9420 §7.6 UpdatePath.
type UpdatePath struct {
	LeafNode LeafNode
	Nodes    []UpdatePathNode
}

func (u *UpdatePath) write(w *Writer) {
	u.LeafNode.write(w)
	w.Vector(func(w *Writer) {
		for _, n := range u.Nodes {
			w.Opaque(n.EncryptionKey)
			w.Vector(func(w *Writer) {
				for _, c := range n.Secrets {
					c.write(w)
				}
			})
		}
	})
}

func readUpdatePath(r *Reader) UpdatePath {
	var u UpdatePath
	u.LeafNode = readLeafNode(r)
	r.Vector(func(r *Reader) {
		var n UpdatePathNode
		n.EncryptionKey = r.OpaqueCopy()
		r.Vector(func(r *Reader) { n.Secrets = append(n.Secrets, readHPKECiphertext(r)) })
		u.Nodes = append(u.Nodes, n)
	})
	return u
}

// Commit is RFC 9420 §12.4 Commit.
type Commit struct {
	Proposals []ProposalOrRef
	Path      *UpdatePath
}

func (c *Commit) write(w *Writer) {
	w.Vector(func(w *Writer) {
		for _, p := range c.Proposals {
			if p.Proposal != nil {
				w.U8(1)
				p.Proposal.write(w)
			} else {
				w.U8(2)
				w.Opaque(p.Ref)
			}
		}
	})
	w.Optional(c.Path != nil, func(w *Writer) { c.Path.write(w) })
}

func readCommit(r *Reader) Commit {
	var c Commit
	r.Vector(func(r *Reader) {
		switch r.U8() {
		case 1:
			p := readProposal(r)
			c.Proposals = append(c.Proposals, ProposalOrRef{Proposal: &p})
		case 2:
			c.Proposals = append(c.Proposals, ProposalOrRef{Ref: r.OpaqueCopy()})
		default:
			r.Fail(fmt.Errorf("%w: proposal-or-ref type", ErrInvalid))
		}
	})
	if r.Optional() {
		u := readUpdatePath(r)
		c.Path = &u
	}
	return c
}
