// Package mls implements the subset of RFC 9420 (Messaging Layer Security)
// that Discord's DAVE protocol needs, for cipher suite 2 only
// (MLS_128_DHKEMP256_AES128GCM_SHA256_P256), on the Go standard library's
// crypto packages.
//
// Everything received from the network is parsed strictly: trailing bytes,
// out-of-range enums, over-long vectors and non-minimal varints are errors.
package mls
