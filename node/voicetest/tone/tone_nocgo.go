//go:build !cgo

package tone

import "errors"

// ErrEncode wraps libopus failures.
var ErrEncode = errors.New("tone: opus encode failed")

// Frames needs cgo and libopus; without them it always fails.
func Frames(leftHz, rightHz, amp float64, n int) ([][]byte, error) {
	return nil, errors.Join(ErrEncode, errors.New("tone: built without cgo"))
}
