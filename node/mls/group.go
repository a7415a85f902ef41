package mls

import (
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
)

// Group errors.
var (
	// ErrEpoch means a message was for another epoch or group.
	ErrEpoch = errors.New("mls: wrong group or epoch")
	// ErrUnknownProposal means a commit referenced a proposal we do not hold.
	ErrUnknownProposal = errors.New("mls: unknown proposal reference")
	// ErrOwnCommit means a commit from our own leaf arrived; merge the pending commit instead.
	ErrOwnCommit = errors.New("mls: commit from own leaf")
	// ErrRemoved means the commit removed us from the group.
	ErrRemoved = errors.New("mls: removed from group")
	// ErrConfirmation means a confirmation tag did not match.
	ErrConfirmation = errors.New("mls: bad confirmation tag")
	// ErrNoWelcomeSecrets means the Welcome holds nothing for our key package.
	ErrNoWelcomeSecrets = errors.New("mls: welcome not addressed to us")
)

// ExternalSender is an entry of the external_senders extension (also the
// body of DAVE op 25).
type ExternalSender struct {
	SignatureKey []byte
	Credential   Credential
}

func (e *ExternalSender) write(w *Writer) {
	w.Opaque(e.SignatureKey)
	e.Credential.write(w)
}

// Marshal returns the TLS encoding.
func (e *ExternalSender) Marshal() []byte {
	var w Writer
	e.write(&w)
	return w.Bytes()
}

// ParseExternalSender parses one ExternalSender.
func ParseExternalSender(b []byte) (*ExternalSender, error) {
	r := NewReader(b)
	e := ExternalSender{SignatureKey: r.OpaqueCopy(), Credential: readCredential(r)}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if _, err := hpkeKEM.NewPublicKey(e.SignatureKey); err != nil {
		// Both are uncompressed P-256 points; this checks the encoding.
		return nil, fmt.Errorf("%w: external sender key: %v", ErrInvalid, err)
	}
	return &e, nil
}

// ExternalSendersExtension builds the group extension listing senders.
func ExternalSendersExtension(senders ...ExternalSender) Extension {
	var w Writer
	w.Vector(func(w *Writer) {
		for i := range senders {
			senders[i].write(w)
		}
	})
	return Extension{Type: ExtExternalSenders, Data: w.Bytes()}
}

func parseExternalSenders(b []byte) ([]ExternalSender, error) {
	r := NewReader(b)
	var out []ExternalSender
	r.Vector(func(r *Reader) {
		out = append(out, ExternalSender{SignatureKey: r.OpaqueCopy(), Credential: readCredential(r)})
	})
	return out, r.Finish()
}

type cachedProposal struct {
	ref      []byte
	proposal Proposal
	sender   Sender
}

// Group is one epoch of an MLS group as seen by a member. Methods that
// move to a new epoch return a new Group and leave the receiver unchanged,
// so a failed commit never corrupts state.
type Group struct {
	ctx          GroupContext
	tree         *RatchetTree
	priv         *privateTree
	signer       *SignatureKey
	secrets      *EpochSecrets
	interim      []byte
	proposals    []cachedProposal
	externalPSKs map[string][]byte
	resumption   map[uint64][]byte // resumption PSKs of recent epochs
}

// keptResumptionPSKs bounds how many past epochs' resumption PSKs we keep.
const keptResumptionPSKs = 8

// Epoch returns the current epoch.
func (g *Group) Epoch() uint64 { return g.ctx.Epoch }

// GroupID returns the group id.
func (g *Group) GroupID() []byte { return g.ctx.GroupID }

// OwnLeaf returns our leaf index.
func (g *Group) OwnLeaf() uint32 { return g.priv.leaf }

// Tree returns the ratchet tree (read-only).
func (g *Group) Tree() *RatchetTree { return g.tree }

// Context returns the group context (read-only).
func (g *Group) Context() *GroupContext { return &g.ctx }

// EpochAuthenticator returns the epoch authenticator.
func (g *Group) EpochAuthenticator() []byte { return g.secrets.Authentication }

// Export is the MLS exporter for the current epoch.
func (g *Group) Export(label string, context []byte, length int) []byte {
	return Export(g.secrets.Exporter, label, context, length)
}

// SetExternalPSKs registers external pre-shared keys by id.
func (g *Group) SetExternalPSKs(psks map[string][]byte) { g.externalPSKs = psks }

// Members returns the basic-credential identities by leaf index.
func (g *Group) Members() map[uint32][]byte {
	m := map[uint32][]byte{}
	for i := range g.tree.NumLeaves() {
		if ln := g.tree.Leaf(i); ln != nil {
			m[i] = ln.Credential.Identity
		}
	}
	return m
}

// Zero erases the group's secrets.
func (g *Group) Zero() {
	if g == nil {
		return
	}
	g.secrets.Zero()
	g.proposals = nil
}

// NewGroup creates a one-member group at epoch 0 from our key package.
func NewGroup(groupID []byte, kp *KeyPackageBundle, exts []Extension) (*Group, error) {
	ln := kp.KeyPackage.LeafNode
	tree := &RatchetTree{nodes: []*treeNode{{leaf: &ln}}}
	g := &Group{
		ctx:    GroupContext{GroupID: slices.Clone(groupID), Epoch: 0, Extensions: exts},
		tree:   tree,
		priv:   &privateTree{leaf: 0, keys: map[uint32]hpke.PrivateKey{0: kp.EncPriv}},
		signer: kp.Signer,
	}
	if _, err := g.externalSenders(); err != nil {
		return nil, err
	}
	g.ctx.TreeHash = tree.TreeHash()
	initSecret := make([]byte, hashLen)
	if _, err := rand.Read(initSecret); err != nil {
		return nil, err
	}
	ctx := g.ctx.Marshal()
	g.secrets = scheduleFromJoiner(joinerSecret(initSecret, nil, ctx), nil, ctx)
	zero(initSecret)
	tag := ConfirmationTag(g.secrets.Confirmation, g.ctx.ConfirmedTranscriptHash)
	g.interim = InterimTranscriptHash(g.ctx.ConfirmedTranscriptHash, tag)
	return g, nil
}

func (g *Group) externalSenders() ([]ExternalSender, error) {
	b, ok := findExtension(g.ctx.Extensions, ExtExternalSenders)
	if !ok {
		return nil, nil
	}
	s, err := parseExternalSenders(b)
	if err != nil {
		return nil, fmt.Errorf("external senders extension: %w", err)
	}
	return s, nil
}

// ExternalSenders returns the group's external senders.
func (g *Group) ExternalSenders() ([]ExternalSender, error) { return g.externalSenders() }

// signerKey returns the signature key for a sender in this epoch.
func (g *Group) signerKey(s Sender) ([]byte, error) {
	switch s.Type {
	case SenderMember:
		ln := g.tree.Leaf(s.Index)
		if s.Index >= g.tree.NumLeaves() || ln == nil {
			return nil, fmt.Errorf("%w: sender leaf %d", ErrInvalid, s.Index)
		}
		return ln.SignatureKey, nil
	case SenderExternal:
		es, err := g.externalSenders()
		if err != nil {
			return nil, err
		}
		if int(s.Index) >= len(es) {
			return nil, fmt.Errorf("%w: external sender %d", ErrInvalid, s.Index)
		}
		return es[s.Index].SignatureKey, nil
	}
	return nil, fmt.Errorf("%w: unsupported sender type %d", ErrInvalid, s.Type)
}

// verifyPublic checks a PublicMessage of this epoch.
func (g *Group) verifyPublic(pm *PublicMessage) error {
	fc := &pm.Content
	if !equal(fc.GroupID, g.ctx.GroupID) || fc.Epoch != g.ctx.Epoch {
		return fmt.Errorf("%w: message for epoch %d, group at %d", ErrEpoch, fc.Epoch, g.ctx.Epoch)
	}
	pub, err := g.signerKey(fc.Sender)
	if err != nil {
		return err
	}
	return pm.VerifyPublic(pub, g.ctx.Marshal(), g.secrets.Membership)
}

// ProposalRef returns the reference of a proposal message.
func ProposalRef(ac *AuthenticatedContent) []byte {
	return RefHash("MLS 1.0 Proposal Reference", ac.Marshal())
}

// AddProposal verifies a proposal message and caches it for the next
// commit. It returns the proposal's reference.
func (g *Group) AddProposal(pm *PublicMessage) ([]byte, error) {
	if pm.Content.ContentType != ContentProposal {
		return nil, fmt.Errorf("%w: not a proposal", ErrInvalid)
	}
	if err := g.verifyPublic(pm); err != nil {
		return nil, err
	}
	p := pm.Content.Proposal
	if s := pm.Content.Sender.Type; s == SenderExternal && p.Type != ProposalAdd && p.Type != ProposalRemove &&
		p.Type != ProposalPSK && p.Type != ProposalReInit && p.Type != ProposalGroupCtxExt {
		return nil, fmt.Errorf("%w: proposal type %d from an external sender", ErrInvalid, p.Type)
	}
	ref := ProposalRef(&pm.AuthenticatedContent)
	for _, c := range g.proposals {
		if equal(c.ref, ref) {
			return ref, nil
		}
	}
	g.proposals = append(g.proposals, cachedProposal{ref: ref, proposal: *p, sender: pm.Content.Sender})
	return ref, nil
}

// RevokeProposal drops a cached proposal; it reports whether one was found.
func (g *Group) RevokeProposal(ref []byte) bool {
	for i, c := range g.proposals {
		if equal(c.ref, ref) {
			g.proposals = slices.Delete(g.proposals, i, i+1)
			return true
		}
	}
	return false
}

// PendingProposals returns how many proposals are cached.
func (g *Group) PendingProposals() int { return len(g.proposals) }

// applied is the outcome of applying a commit's proposals to a tree copy.
type applied struct {
	tree         *RatchetTree
	exts         []Extension
	joiners      map[uint32]bool
	added        []*KeyPackage
	addedLeaves  []uint32
	psks         []PreSharedKeyID
	pathRequired bool
}

func (g *Group) applyProposals(props []cachedProposal, committer uint32) (*applied, error) {
	a := &applied{tree: g.tree.clone(), exts: g.ctx.Extensions, joiners: map[uint32]bool{}, pathRequired: len(props) == 0}
	removed := map[uint32]bool{}
	updated := map[uint32]bool{}
	gce := 0
	var adds []*KeyPackage
	for _, c := range props {
		p := c.proposal
		switch p.Type {
		case ProposalAdd:
			kp := p.KeyPackage
			if err := kp.Verify(); err != nil {
				return nil, err
			}
			if err := checkLeafSupport(&kp.LeafNode); err != nil {
				return nil, err
			}
			adds = append(adds, &kp)
		case ProposalUpdate:
			if c.sender.Type != SenderMember || c.sender.Index == committer || updated[c.sender.Index] {
				return nil, fmt.Errorf("%w: update proposal sender", ErrInvalid)
			}
			if p.LeafNode.Source != SourceUpdate {
				return nil, fmt.Errorf("%w: update leaf source", ErrInvalid)
			}
			if err := p.LeafNode.verify(g.ctx.GroupID, c.sender.Index); err != nil {
				return nil, err
			}
			updated[c.sender.Index] = true
			a.pathRequired = true
		case ProposalRemove:
			if p.Removed == committer || removed[p.Removed] || p.Removed >= g.tree.NumLeaves() || g.tree.Leaf(p.Removed) == nil {
				return nil, fmt.Errorf("%w: remove of leaf %d", ErrInvalid, p.Removed)
			}
			removed[p.Removed] = true
			a.pathRequired = true
		case ProposalPSK:
			a.psks = append(a.psks, p.PSK)
		case ProposalGroupCtxExt:
			gce++
			a.exts = p.Extensions
			a.pathRequired = true
		default:
			return nil, fmt.Errorf("%w: proposal type %d in commit", ErrInvalid, p.Type)
		}
	}
	if gce > 1 {
		return nil, fmt.Errorf("%w: several group context extension proposals", ErrInvalid)
	}
	for i := range updated {
		if removed[i] {
			return nil, fmt.Errorf("%w: leaf %d both updated and removed", ErrInvalid, i)
		}
	}
	// Order per RFC 9420 §12.3: updates, removes, adds.
	for _, c := range props {
		if c.proposal.Type == ProposalUpdate {
			ln := c.proposal.LeafNode
			a.tree.nodes[leafNode(c.sender.Index)] = &treeNode{leaf: &ln}
			a.tree.blankPath(c.sender.Index)
		}
	}
	for _, c := range props {
		if c.proposal.Type == ProposalRemove {
			if err := a.tree.removeLeaf(c.proposal.Removed); err != nil {
				return nil, err
			}
		}
	}
	for _, kp := range adds {
		ln := kp.LeafNode
		idx, err := a.tree.addLeaf(&ln)
		if err != nil {
			return nil, err
		}
		a.joiners[idx] = true
		a.added = append(a.added, kp)
		a.addedLeaves = append(a.addedLeaves, idx)
	}
	return a, a.checkKeysUnique()
}

func (a *applied) checkKeysUnique() error {
	seen := map[string]bool{}
	for i := range a.tree.NumLeaves() {
		ln := a.tree.Leaf(i)
		if ln == nil {
			continue
		}
		for _, k := range [][]byte{ln.EncryptionKey, ln.SignatureKey} {
			if seen[string(k)] {
				return fmt.Errorf("%w: duplicate key at leaf %d", ErrInvalid, i)
			}
			seen[string(k)] = true
		}
	}
	return nil
}

func (g *Group) resolveProposals(c *Commit, committer Sender) ([]cachedProposal, error) {
	var out []cachedProposal
	for _, por := range c.Proposals {
		if por.Proposal != nil {
			if por.Proposal.Type == ProposalExternal || por.Proposal.Type == ProposalReInit {
				return nil, fmt.Errorf("%w: proposal type %d", ErrInvalid, por.Proposal.Type)
			}
			out = append(out, cachedProposal{proposal: *por.Proposal, sender: committer})
			continue
		}
		found := false
		for _, cp := range g.proposals {
			if equal(cp.ref, por.Ref) {
				out = append(out, cp)
				found = true
				break
			}
		}
		if !found {
			return nil, ErrUnknownProposal
		}
	}
	return out, nil
}

func (g *Group) pskSecretFor(ids []PreSharedKeyID) ([]byte, error) {
	psks := make([][]byte, len(ids))
	for i, id := range ids {
		var k []byte
		ok := false
		switch {
		case id.Type == pskExternal:
			k, ok = g.externalPSKs[string(id.ID)]
		case id.Usage == 1 && equal(id.PSKGroupID, g.ctx.GroupID):
			// Only "application" resumption PSKs of this group are usable here.
			k, ok = g.resumption[id.PSKEpoch]
			if g.secrets != nil && id.PSKEpoch == g.ctx.Epoch {
				k, ok = g.secrets.Resumption, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("%w: unknown PSK", ErrInvalid)
		}
		psks[i] = k
	}
	return pskSecret(ids, psks), nil
}

func (g *Group) next(tree *RatchetTree, priv *privateTree, ctx GroupContext, es *EpochSecrets, tag []byte) *Group {
	res := map[uint64][]byte{g.ctx.Epoch: slices.Clone(g.secrets.Resumption)}
	for e, k := range g.resumption {
		if e+keptResumptionPSKs > g.ctx.Epoch {
			res[e] = k
		}
	}
	return &Group{
		ctx: ctx, tree: tree, priv: priv, signer: g.signer, secrets: es,
		interim: InterimTranscriptHash(ctx.ConfirmedTranscriptHash, tag), externalPSKs: g.externalPSKs,
		resumption: res,
	}
}

// ProcessCommit verifies a commit from another member and returns the
// group at the next epoch. The receiver is not modified.
func (g *Group) ProcessCommit(pm *PublicMessage) (*Group, error) {
	fc := &pm.Content
	if fc.ContentType != ContentCommit {
		return nil, fmt.Errorf("%w: not a commit", ErrInvalid)
	}
	if fc.Sender.Type != SenderMember {
		return nil, fmt.Errorf("%w: commit sender type %d", ErrInvalid, fc.Sender.Type)
	}
	if fc.Sender.Index == g.priv.leaf {
		return nil, ErrOwnCommit
	}
	if err := g.verifyPublic(pm); err != nil {
		return nil, err
	}
	props, err := g.resolveProposals(fc.Commit, fc.Sender)
	if err != nil {
		return nil, err
	}
	a, err := g.applyProposals(props, fc.Sender.Index)
	if err != nil {
		return nil, err
	}
	for _, c := range props {
		if c.proposal.Type == ProposalRemove && c.proposal.Removed == g.priv.leaf {
			return nil, ErrRemoved
		}
	}
	priv := g.priv.clone()
	commitSecret := make([]byte, hashLen)
	path := fc.Commit.Path
	if path == nil && a.pathRequired {
		return nil, fmt.Errorf("%w: commit needs an update path", ErrInvalid)
	}
	provisional := GroupContext{GroupID: g.ctx.GroupID, Epoch: g.ctx.Epoch + 1, ConfirmedTranscriptHash: g.ctx.ConfirmedTranscriptHash, Extensions: a.exts}
	if path != nil {
		if old := g.tree.Leaf(fc.Sender.Index); equal(old.EncryptionKey, path.LeafNode.EncryptionKey) {
			return nil, fmt.Errorf("%w: update path reuses the committer's encryption key", ErrInvalid)
		}
		fdp := a.tree.filteredDirectPath(fc.Sender.Index)
		if err := a.tree.mergeUpdatePath(fc.Sender.Index, path, g.ctx.GroupID); err != nil {
			return nil, err
		}
		if err := (&applied{tree: a.tree}).checkKeysUnique(); err != nil {
			return nil, err
		}
		provisional.TreeHash = a.tree.TreeHash()
		i, ps, err := a.tree.decryptPathSecret(priv, fc.Sender.Index, fdp, path, a.joiners, provisional.Marshal())
		if err != nil {
			return nil, err
		}
		if commitSecret, err = a.tree.applyPathSecret(priv, fdp, i, ps); err != nil {
			return nil, err
		}
	} else {
		for k := range priv.keys {
			if !isLeaf(k) && a.tree.node(k).blank() {
				delete(priv.keys, k)
			}
		}
	}
	pskSecret, err := g.pskSecretFor(a.psks)
	if err != nil {
		return nil, err
	}
	ctx := provisional
	ctx.TreeHash = a.tree.TreeHash()
	ctx.ConfirmedTranscriptHash = ConfirmedTranscriptHash(g.interim, &pm.AuthenticatedContent)
	ctxb := ctx.Marshal()
	es := scheduleFromJoiner(joinerSecret(g.secrets.Init, commitSecret, ctxb), pskSecret, ctxb)
	if !equal(ConfirmationTag(es.Confirmation, ctx.ConfirmedTranscriptHash), pm.ConfirmationTag) {
		es.Zero()
		return nil, ErrConfirmation
	}
	return g.next(a.tree, priv, ctx, es, pm.ConfirmationTag), nil
}

// PendingCommit is a commit we created and its resulting state.
type PendingCommit struct {
	Message *PublicMessage
	Welcome *Welcome // nil if nobody was added
	next    *Group
}

// Matches reports whether a received commit message is this pending commit.
func (p *PendingCommit) Matches(pm *PublicMessage) bool {
	return equal(pm.Marshal(), p.Message.Marshal())
}

// Next returns the group state after the pending commit is accepted.
func (p *PendingCommit) Next() *Group { return p.next }

// Commit commits all cached proposals by reference. An update path is
// included only when required (DAVE's force_path = false), or always if
// forcePath is set.
func (g *Group) Commit(forcePath bool) (*PendingCommit, error) {
	props := slices.Clone(g.proposals)
	a, err := g.applyProposals(props, g.priv.leaf)
	if err != nil {
		return nil, err
	}
	commit := &Commit{}
	for _, p := range props {
		commit.Proposals = append(commit.Proposals, ProposalOrRef{Ref: p.ref})
	}
	priv := g.priv.clone()
	commitSecret := make([]byte, hashLen)
	provisional := GroupContext{GroupID: g.ctx.GroupID, Epoch: g.ctx.Epoch + 1, ConfirmedTranscriptHash: g.ctx.ConfirmedTranscriptHash, Extensions: a.exts}
	var pr *pathResult
	if a.pathRequired || forcePath {
		leaf := *a.tree.Leaf(g.priv.leaf)
		pr, err = a.tree.createUpdatePath(g.priv.leaf, leaf, g.signer, g.ctx.GroupID, a.joiners, func(th []byte) []byte {
			provisional.TreeHash = th
			return provisional.Marshal()
		})
		if err != nil {
			return nil, err
		}
		commit.Path = pr.path
		priv = pr.priv
		commitSecret = pr.commitSecret
	}
	fc := FramedContent{GroupID: g.ctx.GroupID, Epoch: g.ctx.Epoch, Sender: Sender{Type: SenderMember, Index: g.priv.leaf},
		ContentType: ContentCommit, Commit: commit}
	pm := &PublicMessage{AuthenticatedContent: AuthenticatedContent{WireFormat: WirePublicMessage, Content: fc}}
	oldCtx := g.ctx.Marshal()
	if err := pm.Sign(g.signer, oldCtx); err != nil {
		return nil, err
	}
	pskSecret, err := g.pskSecretFor(a.psks)
	if err != nil {
		return nil, err
	}
	ctx := provisional
	ctx.TreeHash = a.tree.TreeHash()
	ctx.ConfirmedTranscriptHash = ConfirmedTranscriptHash(g.interim, &pm.AuthenticatedContent)
	ctxb := ctx.Marshal()
	joiner := joinerSecret(g.secrets.Init, commitSecret, ctxb)
	es := scheduleFromJoiner(joiner, pskSecret, ctxb)
	pm.ConfirmationTag = ConfirmationTag(es.Confirmation, ctx.ConfirmedTranscriptHash)
	pm.MembershipTag = pm.membershipTag(g.secrets.Membership, oldCtx)
	next := g.next(a.tree, priv, ctx, es, pm.ConfirmationTag)
	pc := &PendingCommit{Message: pm, next: next}
	if len(a.added) > 0 {
		if pc.Welcome, err = next.welcome(a, pr, pm.ConfirmationTag); err != nil {
			return nil, err
		}
	}
	return pc, nil
}

// welcome builds the Welcome for the members added by a commit.
func (g *Group) welcome(a *applied, pr *pathResult, tag []byte) (*Welcome, error) {
	gi := GroupInfo{
		Context:         g.ctx,
		Extensions:      []Extension{{Type: ExtRatchetTree, Data: g.tree.Marshal()}},
		ConfirmationTag: tag,
		Signer:          g.priv.leaf,
	}
	if err := gi.sign(g.signer); err != nil {
		return nil, err
	}
	key, nonce := welcomeKeyNonce(g.secrets.Welcome)
	w := &Welcome{EncryptedGroupInfo: aeadSeal(key, nonce, nil, gi.Marshal())}
	for i, kp := range a.added {
		gs := GroupSecrets{JoinerSecret: g.secrets.Joiner}
		if pr != nil {
			gs.PathSecret = pr.pathSecretFor(a.addedLeaves[i])
		}
		kem, ct, err := EncryptWithLabel(kp.InitKey, "Welcome", w.EncryptedGroupInfo, gs.marshal())
		if err != nil {
			return nil, err
		}
		w.Secrets = append(w.Secrets, EncryptedGroupSecrets{NewMember: kp.Ref(), Secrets: HPKECiphertext{KEMOutput: kem, Ciphertext: ct}})
	}
	return w, nil
}

// openWelcome decrypts the group secrets and GroupInfo addressed to kp.
func openWelcome(w *Welcome, kp *KeyPackageBundle, psks map[string][]byte) (*GroupSecrets, *GroupInfo, []byte, error) {
	ref := kp.KeyPackage.Ref()
	var egs *EncryptedGroupSecrets
	for i := range w.Secrets {
		if equal(w.Secrets[i].NewMember, ref) {
			egs = &w.Secrets[i]
			break
		}
	}
	if egs == nil {
		return nil, nil, nil, ErrNoWelcomeSecrets
	}
	gsb, err := DecryptWithLabel(kp.InitPriv, "Welcome", w.EncryptedGroupInfo, egs.Secrets.KEMOutput, egs.Secrets.Ciphertext)
	if err != nil {
		return nil, nil, nil, err
	}
	gs, err := parseGroupSecrets(gsb)
	if err != nil {
		return nil, nil, nil, err
	}
	pskSecret, err := (&Group{externalPSKs: psks}).pskSecretFor(gs.PSKs)
	if err != nil {
		return nil, nil, nil, err
	}
	member := extract(gs.JoinerSecret, pskSecret)
	key, nonce := welcomeKeyNonce(DeriveSecret(member, "welcome"))
	gib, err := aeadOpen(key, nonce, nil, w.EncryptedGroupInfo)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("group info: %w", err)
	}
	r := NewReader(gib)
	gi := readGroupInfo(r)
	if err := r.Finish(); err != nil {
		return nil, nil, nil, fmt.Errorf("group info: %w", err)
	}
	return gs, &gi, pskSecret, nil
}

// JoinFromWelcome joins a group. tree is used when the GroupInfo carries
// no ratchet_tree extension; psks supplies external PSKs by id.
func JoinFromWelcome(w *Welcome, kp *KeyPackageBundle, tree *RatchetTree, psks map[string][]byte) (*Group, error) {
	gs, gi, pskSecret, err := openWelcome(w, kp, psks)
	if err != nil {
		return nil, err
	}
	g := &Group{signer: kp.Signer, externalPSKs: psks}
	if b, ok := findExtension(gi.Extensions, ExtRatchetTree); ok {
		if tree, err = ParseRatchetTree(b); err != nil {
			return nil, err
		}
	} else if tree == nil {
		return nil, fmt.Errorf("%w: welcome without a ratchet tree", ErrInvalid)
	} else {
		tree = tree.clone()
	}
	if !equal(tree.TreeHash(), gi.Context.TreeHash) {
		return nil, fmt.Errorf("%w: tree hash does not match group info", ErrTree)
	}
	if err := tree.Validate(gi.Context.GroupID); err != nil {
		return nil, err
	}
	signer := tree.Leaf(gi.Signer)
	if gi.Signer >= tree.NumLeaves() || signer == nil {
		return nil, fmt.Errorf("%w: group info signer %d", ErrInvalid, gi.Signer)
	}
	if err := gi.verify(signer.SignatureKey); err != nil {
		return nil, fmt.Errorf("group info: %w", err)
	}
	own := kp.KeyPackage.LeafNode
	me, ok := tree.findLeaf(func(ln *LeafNode) bool {
		return equal(ln.EncryptionKey, own.EncryptionKey) && equal(ln.SignatureKey, own.SignatureKey)
	})
	if !ok {
		return nil, fmt.Errorf("%w: own leaf not in tree", ErrInvalid)
	}
	priv := &privateTree{leaf: me, keys: map[uint32]hpke.PrivateKey{leafNode(me): kp.EncPriv}}
	if gs.PathSecret != nil {
		// The secret belongs to the lowest common ancestor of us and the signer.
		x := leafNode(me)
		n := tree.NumLeaves()
		for !underNode(x, gi.Signer) {
			x = parent(x, n)
		}
		ps := slices.Clone(gs.PathSecret)
		for {
			if nd := tree.node(x); !nd.blank() {
				k, pub, err := nodeKeyFromPathSecret(ps)
				if err != nil {
					return nil, err
				}
				if !equal(pub, nd.parent.EncryptionKey) {
					return nil, fmt.Errorf("%w: welcome path secret does not match node %d", ErrTree, x)
				}
				priv.keys[x] = k
				ps = DeriveSecret(ps, "path")
			}
			if x == root(n) {
				break
			}
			x = parent(x, n)
		}
	}
	ctxb := gi.Context.Marshal()
	es := scheduleFromJoiner(gs.JoinerSecret, pskSecret, ctxb)
	if !equal(ConfirmationTag(es.Confirmation, gi.Context.ConfirmedTranscriptHash), gi.ConfirmationTag) {
		return nil, ErrConfirmation
	}
	g.ctx, g.tree, g.priv, g.secrets = gi.Context, tree, priv, es
	g.resumption = map[uint64][]byte{}
	if _, err := g.externalSenders(); err != nil {
		return nil, err
	}
	g.interim = InterimTranscriptHash(gi.Context.ConfirmedTranscriptHash, gi.ConfirmationTag)
	return g, nil
}
