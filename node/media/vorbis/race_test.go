//go:build race

package vorbis

const raceEnabled = true
