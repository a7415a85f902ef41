//go:build race

package dave

const raceEnabled = true
