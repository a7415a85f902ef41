package mls

import (
	"errors"
	"fmt"
	"slices"
)

// ErrTree means a ratchet tree failed validation.
var ErrTree = errors.New("mls: invalid ratchet tree")

// maxLeaves bounds the group size we accept; DAVE calls are far smaller.
const maxLeaves = 1 << 12

// ParentNode is RFC 9420 §7.1 ParentNode.
type ParentNode struct {
	EncryptionKey  []byte
	ParentHash     []byte
	UnmergedLeaves []uint32
}

func (p *ParentNode) write(w *Writer) {
	w.Opaque(p.EncryptionKey)
	w.Opaque(p.ParentHash)
	w.Vector(func(w *Writer) {
		for _, l := range p.UnmergedLeaves {
			w.U32(l)
		}
	})
}

// treeNode is one node of the array tree; both nil means blank.
type treeNode struct {
	leaf   *LeafNode
	parent *ParentNode
}

func (n *treeNode) blank() bool { return n == nil || (n.leaf == nil && n.parent == nil) }

func (n *treeNode) encKey() []byte {
	if n.leaf != nil {
		return n.leaf.EncryptionKey
	}
	return n.parent.EncryptionKey
}

// RatchetTree is a left-balanced binary tree stored as an array whose leaf
// count is a power of two.
type RatchetTree struct {
	nodes []*treeNode
}

// NumLeaves returns the tree's leaf capacity.
func (t *RatchetTree) NumLeaves() uint32 { return uint32(len(t.nodes)+1) / 2 }

func (t *RatchetTree) node(x uint32) *treeNode {
	if int(x) >= len(t.nodes) {
		return nil
	}
	return t.nodes[x]
}

// Leaf returns the leaf node at leaf index i, or nil if blank.
func (t *RatchetTree) Leaf(i uint32) *LeafNode {
	n := t.node(leafNode(i))
	if n == nil {
		return nil
	}
	return n.leaf
}

func (t *RatchetTree) clone() *RatchetTree {
	c := &RatchetTree{nodes: make([]*treeNode, len(t.nodes))}
	for i, n := range t.nodes {
		if n.blank() {
			continue
		}
		cp := *n
		if n.parent != nil {
			p := *n.parent
			p.UnmergedLeaves = slices.Clone(p.UnmergedLeaves)
			cp.parent = &p
		}
		c.nodes[i] = &cp
	}
	return c
}

// Marshal returns the ratchet_tree extension encoding (optional<Node><V>),
// truncated after the last non-blank node.
func (t *RatchetTree) Marshal() []byte {
	end := len(t.nodes)
	for end > 0 && t.nodes[end-1].blank() {
		end--
	}
	var w Writer
	w.Vector(func(w *Writer) {
		for _, n := range t.nodes[:end] {
			w.Optional(!n.blank(), func(w *Writer) {
				if n.leaf != nil {
					w.U8(1)
					n.leaf.write(w)
				} else {
					w.U8(2)
					n.parent.write(w)
				}
			})
		}
	})
	return w.Bytes()
}

// ParseRatchetTree parses a ratchet_tree extension body and checks its shape.
func ParseRatchetTree(b []byte) (*RatchetTree, error) {
	r := NewReader(b)
	var nodes []*treeNode
	r.Vector(func(r *Reader) {
		if len(nodes) >= 2*maxLeaves {
			r.Fail(fmt.Errorf("%w: too many nodes", ErrTree))
			return
		}
		if !r.Optional() {
			nodes = append(nodes, nil)
			return
		}
		x := uint32(len(nodes))
		switch typ := r.U8(); {
		case typ == 1 && isLeaf(x):
			ln := readLeafNode(r)
			nodes = append(nodes, &treeNode{leaf: &ln})
		case typ == 2 && !isLeaf(x):
			p := &ParentNode{EncryptionKey: r.OpaqueCopy(), ParentHash: r.OpaqueCopy()}
			r.Vector(func(r *Reader) { p.UnmergedLeaves = append(p.UnmergedLeaves, r.U32()) })
			nodes = append(nodes, &treeNode{parent: p})
		default:
			r.Fail(fmt.Errorf("%w: node type %d at %d", ErrTree, typ, x))
		}
	})
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if len(nodes) == 0 || nodes[len(nodes)-1].blank() {
		return nil, fmt.Errorf("%w: empty or ends with a blank node", ErrTree)
	}
	if len(nodes)%2 == 0 {
		return nil, fmt.Errorf("%w: even node count", ErrTree)
	}
	n := uint32(1)
	for nodeWidth(n) < uint32(len(nodes)) {
		n *= 2
	}
	full := make([]*treeNode, nodeWidth(n))
	copy(full, nodes)
	return &RatchetTree{nodes: full}, nil
}

// resolution returns the resolution of node x (§4.1.1).
func (t *RatchetTree) resolution(x uint32, exclude map[uint32]bool) []uint32 {
	n := t.node(x)
	if isLeaf(x) {
		if n.blank() || exclude[x/2] {
			return nil
		}
		return []uint32{x}
	}
	if n.blank() {
		return append(t.resolution(left(x), exclude), t.resolution(right(x), exclude)...)
	}
	res := []uint32{x}
	for _, l := range n.parent.UnmergedLeaves {
		if !exclude[l] {
			res = append(res, leafNode(l))
		}
	}
	return res
}

// treeHash computes the tree hash of the subtree at x, treating leaves in
// exclude as blank and dropping them from unmerged lists.
func (t *RatchetTree) treeHash(x uint32, exclude map[uint32]bool) []byte {
	return t.treeHashCached(x, exclude, nil)
}

// treeHashCached is treeHash with a memo for exclusion-free hashes.
func (t *RatchetTree) treeHashCached(x uint32, exclude map[uint32]bool, cache map[uint32][]byte) []byte {
	if cache != nil && len(exclude) == 0 {
		if h, ok := cache[x]; ok {
			return h
		}
		h := t.treeHashUncached(x, exclude, cache)
		cache[x] = h
		return h
	}
	return t.treeHashUncached(x, exclude, cache)
}

func (t *RatchetTree) treeHashUncached(x uint32, exclude map[uint32]bool, cache map[uint32][]byte) []byte {
	var w Writer
	n := t.node(x)
	if isLeaf(x) {
		w.U8(1)
		w.U32(x / 2)
		w.Optional(!n.blank() && !exclude[x/2], func(w *Writer) { n.leaf.write(w) })
		return hash(w.Bytes())
	}
	lh := t.treeHashCached(left(x), exclude, cache)
	rh := t.treeHashCached(right(x), exclude, cache)
	w.U8(2)
	w.Optional(!n.blank(), func(w *Writer) {
		p := *n.parent
		if len(exclude) > 0 {
			p.UnmergedLeaves = nil
			for _, l := range n.parent.UnmergedLeaves {
				if !exclude[l] {
					p.UnmergedLeaves = append(p.UnmergedLeaves, l)
				}
			}
		}
		p.write(w)
	})
	w.Opaque(lh)
	w.Opaque(rh)
	return hash(w.Bytes())
}

// TreeHash returns the root tree hash.
func (t *RatchetTree) TreeHash() []byte { return t.treeHash(root(t.NumLeaves()), nil) }

func parentHash(p *ParentNode, siblingHash []byte) []byte {
	var w Writer
	w.Opaque(p.EncryptionKey)
	w.Opaque(p.ParentHash)
	w.Opaque(siblingHash)
	return hash(w.Bytes())
}

func (t *RatchetTree) parentHashOf(d uint32) []byte {
	n := t.node(d)
	if n.leaf != nil {
		if n.leaf.Source != SourceCommit {
			return nil
		}
		return n.leaf.ParentHash
	}
	return n.parent.ParentHash
}

// subtreeLeaves reports whether leaf l is under node x.
func underNode(x, l uint32) bool {
	k := level(x)
	lo := x - (1 << k) + 1
	hi := x + (1 << k) - 1
	return leafNode(l) >= lo && leafNode(l) <= hi
}

// parentHashValid checks every non-blank parent node chains to a child (§7.9.2).
func (t *RatchetTree) parentHashValid() error {
	n := t.NumLeaves()
	cache := map[uint32][]byte{}
	for x := uint32(1); x < uint32(len(t.nodes)); x += 2 {
		p := t.node(x)
		if p.blank() {
			continue
		}
		ok := false
		for _, c := range [2]uint32{left(x), right(x)} {
			s := sibling(c, n)
			excl := map[uint32]bool{}
			for _, l := range p.parent.UnmergedLeaves {
				excl[l] = true
			}
			want := parentHash(p.parent, t.treeHashCached(s, excl, cache))
			res := t.resolution(c, nil)
			for _, d := range res {
				if !equal(t.parentHashOf(d), want) {
					continue
				}
				// P's unmerged leaves under C must equal resolution(C) minus D.
				var um []uint32
				for _, l := range p.parent.UnmergedLeaves {
					if underNode(c, l) {
						um = append(um, leafNode(l))
					}
				}
				var rest []uint32
				for _, e := range res {
					if e != d {
						rest = append(rest, e)
					}
				}
				slices.Sort(um)
				slices.Sort(rest)
				if slices.Equal(um, rest) {
					ok = true
				}
			}
		}
		if !ok {
			return fmt.Errorf("%w: parent hash of node %d", ErrTree, x)
		}
	}
	return nil
}

// Validate checks parent hashes, leaf signatures, unmerged leaves and key
// uniqueness for a tree received in a Welcome (§12.4.3.1).
func (t *RatchetTree) Validate(groupID []byte) error {
	if err := t.parentHashValid(); err != nil {
		return err
	}
	encKeys := map[string]bool{}
	sigKeys := map[string]bool{}
	for i := range t.NumLeaves() {
		ln := t.Leaf(i)
		if ln == nil {
			continue
		}
		if err := ln.verify(groupID, i); err != nil {
			return fmt.Errorf("%w: leaf %d: %v", ErrTree, i, err)
		}
		if err := checkLeafSupport(ln); err != nil {
			return fmt.Errorf("%w: leaf %d: %v", ErrTree, i, err)
		}
		if encKeys[string(ln.EncryptionKey)] || sigKeys[string(ln.SignatureKey)] {
			return fmt.Errorf("%w: duplicate key at leaf %d", ErrTree, i)
		}
		encKeys[string(ln.EncryptionKey)] = true
		sigKeys[string(ln.SignatureKey)] = true
	}
	for x := uint32(1); x < uint32(len(t.nodes)); x += 2 {
		p := t.node(x)
		if p.blank() {
			continue
		}
		if encKeys[string(p.parent.EncryptionKey)] {
			return fmt.Errorf("%w: duplicate encryption key at node %d", ErrTree, x)
		}
		encKeys[string(p.parent.EncryptionKey)] = true
		for _, l := range p.parent.UnmergedLeaves {
			if l >= t.NumLeaves() || !underNode(x, l) || t.Leaf(l) == nil {
				return fmt.Errorf("%w: bad unmerged leaf %d at node %d", ErrTree, l, x)
			}
			// Every unmerged leaf must also be unmerged in all nodes between it and x.
			for y := parent(leafNode(l), t.NumLeaves()); y != x; y = parent(y, t.NumLeaves()) {
				if q := t.node(y); !q.blank() && !slices.Contains(q.parent.UnmergedLeaves, l) {
					return fmt.Errorf("%w: unmerged leaf %d not unmerged below node %d", ErrTree, l, x)
				}
			}
		}
	}
	return nil
}

func checkLeafSupport(ln *LeafNode) error {
	if !slices.Contains(ln.Capabilities.CipherSuites, CipherSuite) || !slices.Contains(ln.Capabilities.Versions, ProtocolVersion) {
		return fmt.Errorf("%w: unsupported suite or version", ErrInvalid)
	}
	if !slices.Contains(ln.Capabilities.Credentials, ln.Credential.Type) {
		return fmt.Errorf("%w: credential type not in capabilities", ErrInvalid)
	}
	for _, e := range ln.Extensions {
		if !slices.Contains(ln.Capabilities.Extensions, e.Type) && e.Type != ExtApplicationID {
			return fmt.Errorf("%w: leaf extension %d not in capabilities", ErrInvalid, e.Type)
		}
	}
	return nil
}

// filteredDirectPath returns the direct path of leaf l without nodes whose
// copath child has an empty resolution (§4.1.2).
func (t *RatchetTree) filteredDirectPath(l uint32) []uint32 {
	n := t.NumLeaves()
	x := leafNode(l)
	var out []uint32
	for _, p := range directPath(x, n) {
		c := x
		x = p
		if len(t.resolution(sibling(c, n), nil)) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// copathChild returns the child of p that is not on the path to leaf l.
func copathChild(p, l uint32) uint32 {
	if leafNode(l) < p {
		return right(p)
	}
	return left(p)
}

// addLeaf inserts ln in the leftmost blank leaf, growing the tree if
// needed, and marks it unmerged on its direct path.
func (t *RatchetTree) addLeaf(ln *LeafNode) (uint32, error) {
	var idx uint32
	for idx = 0; idx < t.NumLeaves(); idx++ {
		if t.Leaf(idx) == nil {
			break
		}
	}
	if idx == t.NumLeaves() {
		if 2*t.NumLeaves() > maxLeaves {
			return 0, fmt.Errorf("%w: group too large", ErrInvalid)
		}
		grown := make([]*treeNode, nodeWidth(2*t.NumLeaves()))
		copy(grown, t.nodes)
		t.nodes = grown
	}
	t.nodes[leafNode(idx)] = &treeNode{leaf: ln}
	for _, p := range directPath(leafNode(idx), t.NumLeaves()) {
		if n := t.nodes[p]; !n.blank() {
			n.parent.UnmergedLeaves = append(n.parent.UnmergedLeaves, idx)
		}
	}
	return idx, nil
}

// blankPath blanks leaf l's direct path.
func (t *RatchetTree) blankPath(l uint32) {
	for _, p := range directPath(leafNode(l), t.NumLeaves()) {
		t.nodes[p] = nil
	}
}

// removeLeaf blanks leaf l and its direct path, then truncates.
func (t *RatchetTree) removeLeaf(l uint32) error {
	if l >= t.NumLeaves() || t.Leaf(l) == nil {
		return fmt.Errorf("%w: remove of blank leaf %d", ErrInvalid, l)
	}
	t.nodes[leafNode(l)] = nil
	t.blankPath(l)
	t.truncate()
	return nil
}

func (t *RatchetTree) truncate() {
	for t.NumLeaves() > 1 {
		half := t.NumLeaves() / 2
		for i := half; i < t.NumLeaves(); i++ {
			if t.Leaf(i) != nil {
				return
			}
		}
		t.nodes = t.nodes[:nodeWidth(half)]
	}
}

// findLeaf returns the index of the leaf with the given encryption key.
func (t *RatchetTree) findLeaf(pred func(*LeafNode) bool) (uint32, bool) {
	for i := range t.NumLeaves() {
		if ln := t.Leaf(i); ln != nil && pred(ln) {
			return i, true
		}
	}
	return 0, false
}
