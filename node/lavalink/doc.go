// Package lavalink holds the Lavalink v4 wire protocol: the JSON shapes of
// every REST body and WebSocket message, and the codec of the base64
// "encoded track" string (lavaplayer's message format, versions 1–3).
//
// JSON follows the reference server (kotlinx.serialization with
// encodeDefaults=false and explicit nulls): nullable fields without a default
// are written as null, fields equal to their default are omitted, snowflakes
// are strings. Request types distinguish an absent key from a value (and,
// where the protocol gives null a meaning, from null) with Optional and
// Nullable.
package lavalink
