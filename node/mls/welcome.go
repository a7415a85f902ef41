package mls

// Welcome is RFC 9420 §12.4.3.1 Welcome.
type Welcome struct {
	Secrets            []EncryptedGroupSecrets
	EncryptedGroupInfo []byte
}

// EncryptedGroupSecrets is one new member's encrypted GroupSecrets.
type EncryptedGroupSecrets struct {
	NewMember []byte
	Secrets   HPKECiphertext
}

func (wl *Welcome) write(w *Writer) {
	w.U16(CipherSuite)
	w.Vector(func(w *Writer) {
		for _, s := range wl.Secrets {
			w.Opaque(s.NewMember)
			s.Secrets.write(w)
		}
	})
	w.Opaque(wl.EncryptedGroupInfo)
}

// Marshal returns the bare Welcome encoding.
func (wl *Welcome) Marshal() []byte {
	var w Writer
	wl.write(&w)
	return w.Bytes()
}

func readWelcome(r *Reader) Welcome {
	var wl Welcome
	if cs := r.U16(); r.Err() == nil && cs != CipherSuite {
		r.Fail(ErrInvalid)
	}
	r.Vector(func(r *Reader) {
		wl.Secrets = append(wl.Secrets, EncryptedGroupSecrets{NewMember: r.OpaqueCopy(), Secrets: readHPKECiphertext(r)})
	})
	wl.EncryptedGroupInfo = r.OpaqueCopy()
	return wl
}

// ParseWelcome parses a bare Welcome.
func ParseWelcome(b []byte) (*Welcome, error) {
	r := NewReader(b)
	wl := readWelcome(r)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return &wl, nil
}

// GroupInfo is RFC 9420 §12.4.3 GroupInfo.
type GroupInfo struct {
	Context         GroupContext
	Extensions      []Extension
	ConfirmationTag []byte
	Signer          uint32
	Signature       []byte
}

func (gi *GroupInfo) writeTBS(w *Writer) {
	gi.Context.write(w)
	writeExtensions(w, gi.Extensions)
	w.Opaque(gi.ConfirmationTag)
	w.U32(gi.Signer)
}

// Marshal returns the TLS encoding.
func (gi *GroupInfo) Marshal() []byte {
	var w Writer
	gi.writeTBS(&w)
	w.Opaque(gi.Signature)
	return w.Bytes()
}

func readGroupInfo(r *Reader) GroupInfo {
	var gi GroupInfo
	gi.Context = readGroupContext(r)
	gi.Extensions = readExtensions(r)
	gi.ConfirmationTag = r.OpaqueCopy()
	gi.Signer = r.U32()
	gi.Signature = r.OpaqueCopy()
	return gi
}

func (gi *GroupInfo) sign(k *SignatureKey) error {
	var w Writer
	gi.writeTBS(&w)
	sig, err := k.SignWithLabel("GroupInfoTBS", w.Bytes())
	if err != nil {
		return err
	}
	gi.Signature = sig
	return nil
}

func (gi *GroupInfo) verify(pub []byte) error {
	var w Writer
	gi.writeTBS(&w)
	return VerifyWithLabel(pub, "GroupInfoTBS", w.Bytes(), gi.Signature)
}

// GroupSecrets is the HPKE-encrypted payload of a Welcome.
type GroupSecrets struct {
	JoinerSecret []byte
	PathSecret   []byte // nil if absent
	PSKs         []PreSharedKeyID
}

func (gs *GroupSecrets) marshal() []byte {
	var w Writer
	w.Opaque(gs.JoinerSecret)
	w.Optional(gs.PathSecret != nil, func(w *Writer) { w.Opaque(gs.PathSecret) })
	w.Vector(func(w *Writer) {
		for i := range gs.PSKs {
			gs.PSKs[i].write(w)
		}
	})
	return w.Bytes()
}

func parseGroupSecrets(b []byte) (*GroupSecrets, error) {
	r := NewReader(b)
	var gs GroupSecrets
	gs.JoinerSecret = r.OpaqueCopy()
	if r.Optional() {
		gs.PathSecret = r.OpaqueCopy()
	}
	r.Vector(func(r *Reader) { gs.PSKs = append(gs.PSKs, readPSKID(r)) })
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return &gs, nil
}
