//go:build !race

package mp3

const raceEnabled = false
