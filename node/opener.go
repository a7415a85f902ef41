package node

import (
	"context"
	"errors"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/settings"
	"github.com/audionode/audionode/node/source"
)

// errNoPipeline is returned until the media pipeline is wired in.
var errNoPipeline = errors.New("no media pipeline for this track")

type mediaOpener struct {
	loader *source.Loader
	cfg    settings.Settings
}

func newMediaOpener(l *source.Loader, cfg settings.Settings) *mediaOpener {
	return &mediaOpener{loader: l, cfg: cfg}
}

func (o *mediaOpener) Open(ctx context.Context, t lavalink.Track, pos time.Duration) (audio.TrackStream, error) {
	return nil, errNoPipeline
}
