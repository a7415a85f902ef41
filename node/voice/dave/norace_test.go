//go:build !race

package dave

const raceEnabled = false
