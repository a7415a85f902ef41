package mls

// Extension is an MLS extension (type and opaque data).
type Extension struct {
	Type uint16
	Data []byte
}

// Extension types used by DAVE.
const (
	ExtApplicationID   uint16 = 1
	ExtRatchetTree     uint16 = 2
	ExtRequiredCaps    uint16 = 3
	ExtExternalPub     uint16 = 4
	ExtExternalSenders uint16 = 5
)

func writeExtensions(w *Writer, exts []Extension) {
	w.Vector(func(w *Writer) {
		for _, e := range exts {
			w.U16(e.Type)
			w.Opaque(e.Data)
		}
	})
}

func readExtensions(r *Reader) []Extension {
	var exts []Extension
	seen := map[uint16]bool{}
	r.Vector(func(r *Reader) {
		e := Extension{Type: r.U16(), Data: r.OpaqueCopy()}
		if seen[e.Type] {
			r.Fail(ErrInvalid)
			return
		}
		seen[e.Type] = true
		exts = append(exts, e)
	})
	return exts
}

func findExtension(exts []Extension, t uint16) ([]byte, bool) {
	for _, e := range exts {
		if e.Type == t {
			return e.Data, true
		}
	}
	return nil, false
}

// GroupContext is RFC 9420 §8.1 GroupContext.
type GroupContext struct {
	GroupID                 []byte
	Epoch                   uint64
	TreeHash                []byte
	ConfirmedTranscriptHash []byte
	Extensions              []Extension
}

func (gc *GroupContext) write(w *Writer) {
	w.U16(ProtocolVersion)
	w.U16(CipherSuite)
	w.Opaque(gc.GroupID)
	w.U64(gc.Epoch)
	w.Opaque(gc.TreeHash)
	w.Opaque(gc.ConfirmedTranscriptHash)
	writeExtensions(w, gc.Extensions)
}

// Marshal returns the TLS encoding.
func (gc *GroupContext) Marshal() []byte {
	var w Writer
	gc.write(&w)
	return w.Bytes()
}

func readGroupContext(r *Reader) GroupContext {
	var gc GroupContext
	if r.U16() != ProtocolVersion || r.U16() != CipherSuite {
		r.Fail(ErrInvalid)
	}
	gc.GroupID = r.OpaqueCopy()
	gc.Epoch = r.U64()
	gc.TreeHash = r.OpaqueCopy()
	gc.ConfirmedTranscriptHash = r.OpaqueCopy()
	gc.Extensions = readExtensions(r)
	return gc
}

// EpochSecrets are the secrets derived from one epoch_secret.
type EpochSecrets struct {
	Joiner         []byte
	Welcome        []byte
	Epoch          []byte
	SenderData     []byte
	Encryption     []byte
	Exporter       []byte
	External       []byte
	Confirmation   []byte
	Membership     []byte
	Resumption     []byte
	Authentication []byte
	Init           []byte // init_secret for the next epoch
}

// joinerSecret derives joiner_secret from the previous init secret.
func joinerSecret(initSecret, commitSecret, groupContext []byte) []byte {
	return ExpandWithLabel(extract(initSecret, commitSecret), "joiner", groupContext, hashLen)
}

// scheduleFromJoiner derives all epoch secrets from joiner_secret.
func scheduleFromJoiner(joiner, pskSecret, groupContext []byte) *EpochSecrets {
	member := extract(joiner, pskSecret)
	es := &EpochSecrets{Joiner: joiner}
	es.Welcome = DeriveSecret(member, "welcome")
	es.Epoch = ExpandWithLabel(member, "epoch", groupContext, hashLen)
	es.SenderData = DeriveSecret(es.Epoch, "sender data")
	es.Encryption = DeriveSecret(es.Epoch, "encryption")
	es.Exporter = DeriveSecret(es.Epoch, "exporter")
	es.External = DeriveSecret(es.Epoch, "external")
	es.Confirmation = DeriveSecret(es.Epoch, "confirm")
	es.Membership = DeriveSecret(es.Epoch, "membership")
	es.Resumption = DeriveSecret(es.Epoch, "resumption")
	es.Authentication = DeriveSecret(es.Epoch, "authentication")
	es.Init = DeriveSecret(es.Epoch, "init")
	return es
}

// Zero overwrites all secrets.
func (es *EpochSecrets) Zero() {
	if es == nil {
		return
	}
	for _, b := range [][]byte{es.Joiner, es.Welcome, es.Epoch, es.SenderData, es.Encryption, es.Exporter,
		es.External, es.Confirmation, es.Membership, es.Resumption, es.Authentication, es.Init} {
		zero(b)
	}
}

// Export is the MLS exporter (RFC 9420 §8.5).
func Export(exporterSecret []byte, label string, context []byte, length int) []byte {
	return ExpandWithLabel(DeriveSecret(exporterSecret, label), "exported", hash(context), length)
}

// welcomeKeyNonce derives the AEAD key and nonce protecting GroupInfo.
func welcomeKeyNonce(welcomeSecret []byte) (key, nonce []byte) {
	return ExpandWithLabel(welcomeSecret, "key", nil, keyLen), ExpandWithLabel(welcomeSecret, "nonce", nil, nonceLen)
}

// PSK types.
const (
	pskExternal   uint8 = 1
	pskResumption uint8 = 2
)

// PreSharedKeyID is RFC 9420 §8.4 PreSharedKeyID.
type PreSharedKeyID struct {
	Type       uint8
	ID         []byte // external psk_id
	Usage      uint8
	PSKGroupID []byte
	PSKEpoch   uint64
	Nonce      []byte
}

func (p *PreSharedKeyID) write(w *Writer) {
	w.U8(p.Type)
	switch p.Type {
	case pskExternal:
		w.Opaque(p.ID)
	case pskResumption:
		w.U8(p.Usage)
		w.Opaque(p.PSKGroupID)
		w.U64(p.PSKEpoch)
	}
	w.Opaque(p.Nonce)
}

func readPSKID(r *Reader) PreSharedKeyID {
	var p PreSharedKeyID
	p.Type = r.U8()
	switch p.Type {
	case pskExternal:
		p.ID = r.OpaqueCopy()
	case pskResumption:
		p.Usage = r.U8()
		if p.Usage < 1 || p.Usage > 3 {
			r.Fail(ErrInvalid)
		}
		p.PSKGroupID = r.OpaqueCopy()
		p.PSKEpoch = r.U64()
	default:
		r.Fail(ErrInvalid)
	}
	p.Nonce = r.OpaqueCopy()
	return p
}

// pskSecret combines PSKs per RFC 9420 §8.4; nil ids give the zero vector.
func pskSecret(ids []PreSharedKeyID, psks [][]byte) []byte {
	secret := make([]byte, hashLen)
	for i := range ids {
		var w Writer
		ids[i].write(&w)
		w.U16(uint16(i))
		w.U16(uint16(len(ids)))
		extracted := extract(nil, psks[i])
		input := ExpandWithLabel(extracted, "derived psk", w.Bytes(), hashLen)
		secret = extract(input, secret)
	}
	return secret
}
