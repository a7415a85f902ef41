//go:build !race

package aac

const raceEnabled = false
