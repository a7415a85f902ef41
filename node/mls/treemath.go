package mls

import "math/bits"

// Tree math on the array representation of a left-balanced binary tree
// (RFC 9420 Appendix C). Leaves sit at even node indices.

func log2(x uint32) uint32 {
	if x == 0 {
		return 0
	}
	return uint32(bits.Len32(x) - 1)
}

func level(x uint32) uint32 {
	if x&1 == 0 {
		return 0
	}
	k := uint32(0)
	for (x>>k)&1 == 1 {
		k++
	}
	return k
}

// nodeWidth returns the number of nodes for n leaves.
func nodeWidth(n uint32) uint32 {
	if n == 0 {
		return 0
	}
	return 2*(n-1) + 1
}

// root returns the root node index of a tree with n leaves.
func root(n uint32) uint32 {
	w := nodeWidth(n)
	return (1 << log2(w)) - 1
}

func left(x uint32) uint32 {
	k := level(x)
	return x ^ (1 << (k - 1))
}

func right(x uint32) uint32 {
	k := level(x)
	return x ^ (3 << (k - 1))
}

// parent returns the parent of x in a tree with n leaves; x must not be the root.
func parent(x, n uint32) uint32 {
	k := level(x)
	b := (x >> (k + 1)) & 1
	return (x | (1 << k)) ^ (b << (k + 1))
}

func sibling(x, n uint32) uint32 {
	p := parent(x, n)
	if x < p {
		return right(p)
	}
	return left(p)
}

// directPath returns the path from x's parent up to the root.
func directPath(x, n uint32) []uint32 {
	r := root(n)
	if x == r {
		return nil
	}
	var d []uint32
	for x != r {
		x = parent(x, n)
		d = append(d, x)
	}
	return d
}

func isLeaf(x uint32) bool { return x&1 == 0 }

func leafNode(leaf uint32) uint32 { return 2 * leaf }
