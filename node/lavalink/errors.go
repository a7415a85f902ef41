package lavalink

import "errors"

// ErrNullValue is returned when a request has null for a key that must not be
// null (an Optional field); the reference answers 400.
var ErrNullValue = errors.New("lavalink: null is not allowed here")

// ErrNotObject is returned when a JSON object (userData, pluginInfo) was
// expected and something else was given.
var ErrNotObject = errors.New("lavalink: expected a JSON object")

// ErrUnknownMessage is returned by ParseMessage for an op or event type that
// this package does not know (plugins may send such frames; clients should
// skip them).
var ErrUnknownMessage = errors.New("lavalink: unknown message")

// ErrBadBase64 is returned when an encoded track is not standard base64 (the
// reference uses Java's strict decoder: no whitespace, no URL-safe alphabet,
// padding optional).
var ErrBadBase64 = errors.New("lavalink: encoded track is not valid base64")

// ErrMalformedTrack is returned when the bytes of an encoded track do not
// form a lavaplayer track message (short, bad header, bad modified UTF-8 …).
var ErrMalformedTrack = errors.New("lavalink: malformed encoded track")

// ErrUnsupportedVersion is returned for a track message version other than 1–3.
var ErrUnsupportedVersion = errors.New("lavalink: unsupported encoded track version")

// ErrStringTooLong is returned when encoding a string longer than 65535 bytes
// of modified UTF-8 (the limit of Java's writeUTF).
var ErrStringTooLong = errors.New("lavalink: string too long for encoded track")

// ErrNoTracks is returned by DecodeTracks for an empty list; the reference
// answers 400 with NoTracksMessage.
var ErrNoTracks = errors.New("lavalink: no tracks to decode provided")

// NoTracksMessage is the reference's error message for an empty decodetracks body.
const NoTracksMessage = "No tracks to decode provided"
