package mls

import (
	"crypto/hpke"
	"crypto/rand"
	"fmt"
)

// privateTree holds the HPKE private keys a member knows, by node index.
type privateTree struct {
	leaf uint32
	keys map[uint32]hpke.PrivateKey
}

func (p *privateTree) clone() *privateTree {
	c := &privateTree{leaf: p.leaf, keys: make(map[uint32]hpke.PrivateKey, len(p.keys))}
	for k, v := range p.keys {
		c.keys[k] = v
	}
	return c
}

func nodeKeyFromPathSecret(ps []byte) (hpke.PrivateKey, []byte, error) {
	ns := DeriveSecret(ps, "node")
	defer zero(ns)
	return deriveKeyPair(ns)
}

// setPathPublic installs the parent nodes of an UpdatePath for sender
// (blanking the rest of its direct path), computes parent hashes top-down
// and returns the parent hash the sender's leaf must carry.
func (t *RatchetTree) setPathPublic(sender uint32, fdp []uint32, keys [][]byte) []byte {
	t.blankPath(sender)
	for i, x := range fdp {
		t.nodes[x] = &treeNode{parent: &ParentNode{EncryptionKey: keys[i]}}
	}
	var ph []byte
	for i := len(fdp) - 1; i >= 0; i-- {
		p := t.nodes[fdp[i]].parent
		p.ParentHash = ph
		ph = parentHash(p, t.treeHash(copathChild(fdp[i], sender), nil))
	}
	return ph
}

// mergeUpdatePath validates and merges the public part of a received
// UpdatePath into t.
func (t *RatchetTree) mergeUpdatePath(sender uint32, path *UpdatePath, groupID []byte) error {
	fdp := t.filteredDirectPath(sender)
	if len(path.Nodes) != len(fdp) {
		return fmt.Errorf("%w: update path has %d nodes, want %d", ErrInvalid, len(path.Nodes), len(fdp))
	}
	if path.LeafNode.Source != SourceCommit {
		return fmt.Errorf("%w: update path leaf source", ErrInvalid)
	}
	if err := path.LeafNode.verify(groupID, sender); err != nil {
		return fmt.Errorf("update path leaf: %w", err)
	}
	if err := checkLeafSupport(&path.LeafNode); err != nil {
		return err
	}
	keys := make([][]byte, len(fdp))
	for i, n := range path.Nodes {
		if _, err := hpkeKEM.NewPublicKey(n.EncryptionKey); err != nil {
			return fmt.Errorf("%w: path key: %v", ErrInvalid, err)
		}
		keys[i] = n.EncryptionKey
	}
	ph := t.setPathPublic(sender, fdp, keys)
	if !equal(ph, path.LeafNode.ParentHash) {
		return fmt.Errorf("%w: update path parent hash", ErrTree)
	}
	ln := path.LeafNode
	t.nodes[leafNode(sender)] = &treeNode{leaf: &ln}
	return nil
}

// decryptPathSecret finds and decrypts the path secret meant for priv's
// leaf in a merged path. It returns the index in fdp and the secret.
func (t *RatchetTree) decryptPathSecret(priv *privateTree, sender uint32, fdp []uint32, path *UpdatePath, joiners map[uint32]bool, groupContext []byte) (int, []byte, error) {
	for i, x := range fdp {
		if !underNode(x, priv.leaf) {
			continue
		}
		res := t.resolution(copathChild(x, sender), joiners)
		for j, r := range res {
			if !(r == leafNode(priv.leaf) || (!isLeaf(r) && underNode(r, priv.leaf))) {
				continue
			}
			key, ok := priv.keys[r]
			if !ok {
				continue
			}
			if j >= len(path.Nodes[i].Secrets) {
				return 0, nil, fmt.Errorf("%w: missing path ciphertext", ErrInvalid)
			}
			if len(path.Nodes[i].Secrets) != len(res) {
				return 0, nil, fmt.Errorf("%w: path node has %d ciphertexts, want %d", ErrInvalid, len(path.Nodes[i].Secrets), len(res))
			}
			ct := path.Nodes[i].Secrets[j]
			ps, err := DecryptWithLabel(key, "UpdatePathNode", groupContext, ct.KEMOutput, ct.Ciphertext)
			if err != nil {
				return 0, nil, err
			}
			return i, ps, nil
		}
		return 0, nil, fmt.Errorf("%w: no private key for path node %d", ErrDecrypt, x)
	}
	return 0, nil, fmt.Errorf("%w: receiver not below the sender's path", ErrInvalid)
}

// applyPathSecret derives keys from ps at fdp[i] upward, checks them
// against the tree, stores them in priv and returns the commit secret.
func (t *RatchetTree) applyPathSecret(priv *privateTree, fdp []uint32, i int, ps []byte) ([]byte, error) {
	// Keys for the sender's direct path are replaced.
	for k := range priv.keys {
		if !isLeaf(k) && t.node(k).blank() {
			delete(priv.keys, k)
		}
	}
	for ; i < len(fdp); i++ {
		k, pub, err := nodeKeyFromPathSecret(ps)
		if err != nil {
			return nil, err
		}
		if !equal(pub, t.node(fdp[i]).parent.EncryptionKey) {
			return nil, fmt.Errorf("%w: path secret does not match node %d", ErrTree, fdp[i])
		}
		priv.keys[fdp[i]] = k
		next := DeriveSecret(ps, "path")
		zero(ps)
		ps = next
	}
	return ps, nil
}

// newPathSecrets generates path secrets for fdp: fresh random at the
// bottom, each next one derived.
func newPathSecrets(n int) ([][]byte, []byte, error) {
	out := make([][]byte, n)
	ps := make([]byte, hashLen)
	if _, err := rand.Read(ps); err != nil {
		return nil, nil, err
	}
	for i := range n {
		out[i] = ps
		ps = DeriveSecret(ps, "path")
	}
	return out, ps, nil
}

// encryptPath builds the UpdatePath nodes for already-derived path secrets.
func (t *RatchetTree) encryptPath(sender uint32, fdp []uint32, secrets [][]byte, joiners map[uint32]bool, groupContext []byte) ([]UpdatePathNode, error) {
	nodes := make([]UpdatePathNode, len(fdp))
	for i, x := range fdp {
		nodes[i].EncryptionKey = t.node(x).parent.EncryptionKey
		for _, r := range t.resolution(copathChild(x, sender), joiners) {
			kem, ct, err := EncryptWithLabel(t.node(r).encKey(), "UpdatePathNode", groupContext, secrets[i])
			if err != nil {
				return nil, err
			}
			nodes[i].Secrets = append(nodes[i].Secrets, HPKECiphertext{KEMOutput: kem, Ciphertext: ct})
		}
	}
	return nodes, nil
}

// pathResult is what a committer keeps from creating an UpdatePath.
type pathResult struct {
	path         *UpdatePath
	priv         *privateTree
	fdp          []uint32
	secrets      [][]byte
	commitSecret []byte
	context      []byte // provisional GroupContext the path was encrypted under
}

// pathSecretFor returns the path secret a joiner at leaf l needs, or nil.
func (pr *pathResult) pathSecretFor(l uint32) []byte {
	for i, x := range pr.fdp {
		if underNode(x, l) {
			return pr.secrets[i]
		}
	}
	return nil
}

// createUpdatePath replaces sender's leaf and direct path in t with fresh
// keys and encrypts the path secrets. makeContext returns the provisional
// GroupContext for the tree hash after the path is merged.
func (t *RatchetTree) createUpdatePath(sender uint32, leaf LeafNode, signer *SignatureKey, groupID []byte,
	joiners map[uint32]bool, makeContext func(treeHash []byte) []byte) (*pathResult, error) {
	fdp := t.filteredDirectPath(sender)
	secrets, commitSecret, err := newPathSecrets(len(fdp))
	if err != nil {
		return nil, err
	}
	priv := &privateTree{leaf: sender, keys: map[uint32]hpke.PrivateKey{}}
	pubs := make([][]byte, len(fdp))
	for i, ps := range secrets {
		k, pub, err := nodeKeyFromPathSecret(ps)
		if err != nil {
			return nil, err
		}
		priv.keys[fdp[i]] = k
		pubs[i] = pub
	}
	leafKey, err := generateHPKEKey()
	if err != nil {
		return nil, err
	}
	priv.keys[leafNode(sender)] = leafKey
	ph := t.setPathPublic(sender, fdp, pubs)
	leaf.EncryptionKey = leafKey.PublicKey().Bytes()
	leaf.Source = SourceCommit
	leaf.ParentHash = ph
	leaf.NotBefore, leaf.NotAfter = 0, 0
	if err := leaf.sign(signer, groupID, sender); err != nil {
		return nil, err
	}
	t.nodes[leafNode(sender)] = &treeNode{leaf: &leaf}
	ctx := makeContext(t.TreeHash())
	nodes, err := t.encryptPath(sender, fdp, secrets, joiners, ctx)
	if err != nil {
		return nil, err
	}
	return &pathResult{
		path: &UpdatePath{LeafNode: leaf, Nodes: nodes}, priv: priv, fdp: fdp,
		secrets: secrets, commitSecret: commitSecret, context: ctx,
	}, nil
}
