package media

import (
	"errors"
	"fmt"
)

// The decoders in this file wrap pure-Go third-party libraries. They were
// not written for hostile input, so every call into them recovers a panic
// into an error wrapping ErrMalformed.

var errPanic = errors.New("decoder panic")

func recovered(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %w: %v", ErrMalformed, errPanic, r)
	}
}
