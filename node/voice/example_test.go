package voice_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/sched"
	"github.com/audionode/audionode/node/voice"
)

// The node makes one scheduler and one connector at start-up; a player
// calls Connect when a PATCH brings voice details, and closes the old
// connection first when any of them changed.
func ExampleConnector() {
	s := sched.New(sched.Options{}) // one shard per core
	defer s.Close()
	vc := voice.NewConnector(voice.Config{
		AllowInsecureEndpoints: false, // audionode.voice.allowInsecureEndpoints
		ConnectTimeout:         10 * time.Second,
		Scheduler:              s,
		Logger:                 slog.Default(),
	})
	defer vc.Close()

	var src audio.FrameSource // the player's frame ring
	st := audio.VoiceState{GuildID: "1", UserID: "2", ChannelID: "3", SessionID: "4", Token: "5", Endpoint: "c-ams01.discord.media:443"}
	conn, err := vc.Connect(context.Background(), st, src, func(c audio.VoiceClose) {
		// Send WebSocketClosedEvent{code: c.Code, reason: c.Reason, byRemote: c.ByRemote}.
	})
	if err != nil {
		return // errors.As(err, new(*voice.CloseError)) gives the close code
	}
	defer conn.Close()
	_ = conn.Connected() // player state.connected
	_ = conn.Ping()      // player state.ping
}
