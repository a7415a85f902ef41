// Package buildinfo names this build: audionode's own version and the
// Lavalink protocol release it is compatible with.
package buildinfo

// Version is audionode's version; release builds set it with
// -ldflags "-X github.com/audionode/audionode/node/buildinfo.Version=…".
var Version = "0.1.0-dev"

// LavalinkVersion is the Lavalink release whose v4 protocol audionode speaks.
// GET /version returns it so clients that compare versions treat us as that release.
const LavalinkVersion = "4.2.2"
