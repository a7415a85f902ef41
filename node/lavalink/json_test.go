package lavalink

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

var testTrack = Track{
	Encoded: "QAAA",
	Info: TrackInfo{
		Identifier: "id", IsSeekable: true, Author: "a", Length: 1000, Position: 5,
		Title: "t", SourceName: "http", URI: ptr("https://x/y.mp3"),
	},
}

const testTrackJSON = `{"encoded":"QAAA","info":{"identifier":"id","isSeekable":true,"author":"a","length":1000,"isStream":false,"position":5,"title":"t","uri":"https://x/y.mp3","sourceName":"http","artworkUrl":null,"isrc":null},"pluginInfo":{},"userData":{}}`

func TestMarshal(t *testing.T) {
	cases := map[string]struct {
		v    any
		want string
	}{
		"track": {testTrack, testTrackJSON},
		"track userData": {Track{Encoded: "x", UserData: Object(`{"a":1}`)},
			`{"encoded":"x","info":{"identifier":"","isSeekable":false,"author":"","length":0,"isStream":false,"position":0,"title":"","uri":null,"sourceName":"","artworkUrl":null,"isrc":null},"pluginInfo":{},"userData":{"a":1}}`},
		"load track":    {TrackResult(testTrack), `{"loadType":"track","data":` + testTrackJSON + `}`},
		"load playlist": {PlaylistResult(Playlist{Info: PlaylistInfo{Name: "p", SelectedTrack: -1}}), `{"loadType":"playlist","data":{"info":{"name":"p","selectedTrack":-1},"pluginInfo":{},"tracks":[]}}`},
		"load search":   {SearchResult(nil), `{"loadType":"search","data":[]}`},
		"load empty":    {EmptyResult(), `{"loadType":"empty","data":null}`},
		"load error": {ErrorResult(Exception{Message: ptr("nope"), Severity: SeverityCommon, Cause: "x", CauseStackTrace: "x\n"}),
			`{"loadType":"error","data":{"message":"nope","severity":"common","cause":"x","causeStackTrace":"x\n"}}`},
		"exception null message": {Exception{Severity: SeverityFault}, `{"message":null,"severity":"fault","cause":"","causeStackTrace":""}`},
		"player new": {Player{GuildID: "1", Volume: 100, State: PlayerState{Time: 1, Ping: -1}},
			`{"guildId":"1","track":null,"volume":100,"paused":false,"state":{"time":1,"position":0,"connected":false,"ping":-1},"voice":{"token":"","endpoint":"","sessionId":"","channelId":null},"filters":{}}`},
		"filters all": {Filters{
			Volume: ptr(1.5), Equalizer: []EqualizerBand{{Band: 0, Gain: 0.2}}, Karaoke: &Karaoke{1, 1, 220, 100},
			Timescale: &Timescale{1.2, 1, 1}, Tremolo: &Tremolo{2, 0.5}, Vibrato: &Vibrato{2, 0.5}, Rotation: &Rotation{0.2},
			Distortion: &Distortion{0, 1, 0, 1, 0, 1, 0, 1}, ChannelMix: &ChannelMix{0.5, 0.5, 0.5, 0.5}, LowPass: &LowPass{20},
			PluginFilters: map[string]json.RawMessage{"echo": json.RawMessage(`{"delay":1}`)}},
			`{"volume":1.5,"equalizer":[{"band":0,"gain":0.2}],"karaoke":{"level":1,"monoLevel":1,"filterBand":220,"filterWidth":100},"timescale":{"speed":1.2,"pitch":1,"rate":1},"tremolo":{"frequency":2,"depth":0.5},"vibrato":{"frequency":2,"depth":0.5},"rotation":{"rotationHz":0.2},"distortion":{"sinOffset":0,"sinScale":1,"cosOffset":0,"cosScale":1,"tanOffset":0,"tanScale":1,"offset":0,"scale":1},"channelMix":{"leftToLeft":0.5,"leftToRight":0.5,"rightToLeft":0.5,"rightToRight":0.5},"lowPass":{"smoothing":20},"pluginFilters":{"echo":{"delay":1}}}`},
		"filters empty eq kept": {Filters{Equalizer: []EqualizerBand{}}, `{"equalizer":[]}`},
		"session":               {Session{Resuming: false, Timeout: 60}, `{"resuming":false,"timeout":60}`},
		"info": {Info{Version: ParseVersion("4.2.2"), BuildTime: 1, Git: Git{"main", "abc", 2}, JVM: "go1.26", Lavaplayer: "x", SourceManagers: []string{"http"}, Filters: FilterNames},
			`{"version":{"semver":"4.2.2","major":4,"minor":2,"patch":2,"preRelease":null},"buildTime":1,"git":{"branch":"main","commit":"abc","commitTime":2},"jvm":"go1.26","lavaplayer":"x","sourceManagers":["http"],"filters":["volume","equalizer","karaoke","timescale","tremolo","vibrato","distortion","rotation","channelMix","lowPass"],"plugins":[]}`},
		"version pre":   {ParseVersion("1.2.3-rc.1"), `{"semver":"1.2.3-rc.1","major":1,"minor":2,"patch":3,"preRelease":"rc.1"}`},
		"version build": {ParseVersion("1.2.3+g1"), `{"semver":"1.2.3+g1","major":0,"minor":0,"patch":0,"preRelease":null}`},
		"stats rest": {Stats{Players: 3, PlayingPlayers: 1, Uptime: 2, Memory: Memory{1, 2, 3, 4}, CPU: CPU{16, 0.5, 0.25}},
			`{"players":3,"playingPlayers":1,"uptime":2,"memory":{"free":1,"used":2,"allocated":3,"reservable":4},"cpu":{"cores":16,"systemLoad":0.5,"lavalinkLoad":0.25}}`},
		"stats ws null": {StatsMessage{Stats: Stats{CPU: CPU{Cores: 2}}},
			`{"op":"stats","frameStats":null,"players":0,"playingPlayers":0,"uptime":0,"memory":{"free":0,"used":0,"allocated":0,"reservable":0},"cpu":{"cores":2,"systemLoad":0,"lavalinkLoad":0}}`},
		"stats ws frames": {StatsMessage{FrameStats: &FrameStats{2990, 10, 0}},
			`{"op":"stats","frameStats":{"sent":2990,"nulled":10,"deficit":0},"players":0,"playingPlayers":0,"uptime":0,"memory":{"free":0,"used":0,"allocated":0,"reservable":0},"cpu":{"cores":0,"systemLoad":0,"lavalinkLoad":0}}`},
		// Verbatim examples from lavalink-v4.md.
		"spec stats": {StatsMessage{FrameStats: &FrameStats{2990, 10, 0}, Stats: Stats{Players: 3, PlayingPlayers: 1, Uptime: 2351212,
			Memory: Memory{552449952, 336742496, 889192448, 25753026560}, CPU: CPU{16, 0.0457, 0.0001}}},
			`{"op":"stats","frameStats":{"sent":2990,"nulled":10,"deficit":0},"players":3,"playingPlayers":1,"uptime":2351212,"memory":{"free":552449952,"used":336742496,"allocated":889192448,"reservable":25753026560},"cpu":{"cores":16,"systemLoad":0.0457,"lavalinkLoad":0.0001}}`},
		"spec info": {Info{Version: ParseVersion("4.2.2"), BuildTime: 1741300000000, Git: Git{"master", "abc1234", 1741300000000}, JVM: "17.0.15", Lavaplayer: "2.2.6",
			SourceManagers: []string{"youtube", "soundcloud", "http"}, Filters: []string{"volume", "equalizer", "karaoke", "timescale", "tremolo", "vibrato", "distortion", "rotation", "channelMix", "lowPass"},
			Plugins: []Plugin{{"youtube-plugin", "1.13.5"}}},
			`{"version":{"semver":"4.2.2","major":4,"minor":2,"patch":2,"preRelease":null},"buildTime":1741300000000,"git":{"branch":"master","commit":"abc1234","commitTime":1741300000000},"jvm":"17.0.15","lavaplayer":"2.2.6","sourceManagers":["youtube","soundcloud","http"],"filters":["volume","equalizer","karaoke","timescale","tremolo","vibrato","distortion","rotation","channelMix","lowPass"],"plugins":[{"name":"youtube-plugin","version":"1.13.5"}]}`},
		"ready": {ReadyMessage{Resumed: true, SessionID: "abc"}, `{"op":"ready","resumed":true,"sessionId":"abc"}`},
		"playerUpdate": {PlayerUpdateMessage{GuildID: "758293950988550155", State: PlayerState{1709650501405, 60000, true, 42}},
			`{"op":"playerUpdate","state":{"time":1709650501405,"position":60000,"connected":true,"ping":42},"guildId":"758293950988550155"}`},
		"start": {TrackStartEvent{GuildID: "1", Track: testTrack}, `{"op":"event","type":"TrackStartEvent","guildId":"1","track":` + testTrackJSON + `}`},
		"end":   {TrackEndEvent{GuildID: "1", Track: testTrack, Reason: EndReplaced}, `{"op":"event","type":"TrackEndEvent","guildId":"1","track":` + testTrackJSON + `,"reason":"replaced"}`},
		"exception": {TrackExceptionEvent{GuildID: "1", Track: testTrack, Exception: Exception{Message: ptr("m"), Severity: SeveritySuspicious, Cause: "c", CauseStackTrace: "s"}},
			`{"op":"event","type":"TrackExceptionEvent","guildId":"1","track":` + testTrackJSON + `,"exception":{"message":"m","severity":"suspicious","cause":"c","causeStackTrace":"s"}}`},
		"stuck": {TrackStuckEvent{GuildID: "1", Track: testTrack, ThresholdMs: 10000}, `{"op":"event","type":"TrackStuckEvent","guildId":"1","track":` + testTrackJSON + `,"thresholdMs":10000}`},
		"closed": {WebSocketClosedEvent{GuildID: "1", Code: 4014, Reason: "", ByRemote: true},
			`{"op":"event","type":"WebSocketClosedEvent","guildId":"1","code":4014,"reason":"","byRemote":true}`},
		"error body": {NewErrorResponse(time.UnixMilli(1667857581613), 404, "Session not found", "/v4/sessions/x/players/1"),
			`{"timestamp":1667857581613,"status":404,"error":"Not Found","message":"Session not found","path":"/v4/sessions/x/players/1"}`},
		"error body trace": {ErrorResponse{Timestamp: 1, Status: 400, Error: "Bad Request", Trace: "t", Message: "m", Path: "/p"},
			`{"timestamp":1,"status":400,"error":"Bad Request","trace":"t","message":"m","path":"/p"}`},
		"update empty": {PlayerUpdate{}, `{}`},
		"update stop":  {PlayerUpdate{Track: Some(PlayerUpdateTrack{Encoded: Null[string]()})}, `{"track":{"encoded":null}}`},
		"update all": {PlayerUpdate{Track: Some(PlayerUpdateTrack{Encoded: Value("abc"), UserData: Some(Object(`{}`))}), Position: Some[int64](0), EndTime: Value[int64](5), Volume: Some(80), Paused: Some(false), Filters: Some(Filters{}), Voice: Some(VoiceState{"t", "e", "s", ptr("c")})},
			`{"track":{"encoded":"abc","userData":{}},"position":0,"endTime":5,"volume":80,"paused":false,"filters":{},"voice":{"token":"t","endpoint":"e","sessionId":"s","channelId":"c"}}`},
		"session update": {SessionUpdate{Resuming: Some(true)}, `{"resuming":true}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestUnmarshalPlayerUpdate(t *testing.T) {
	cases := map[string]struct {
		in      string
		check   func(PlayerUpdate) bool
		wantErr error
	}{
		"absent": {`{}`, func(u PlayerUpdate) bool { return !u.Track.Set && !u.Volume.Set && !u.EndTime.Set }, nil},
		"stop": {`{"track":{"encoded":null}}`, func(u PlayerUpdate) bool {
			return u.Track.Set && u.Track.Value.Encoded.Set && u.Track.Value.Encoded.Null && !u.Track.Value.Identifier.Set
		}, nil},
		"play": {`{"track":{"encoded":"abc","userData":{"r":1}},"volume":80,"position":0}`, func(u PlayerUpdate) bool {
			return u.Track.Value.Encoded.Value == "abc" && !u.Track.Value.Encoded.Null && string(u.Track.Value.UserData.Value) == `{"r":1}` &&
				u.Volume == Some(80) && u.Position == Some[int64](0)
		}, nil},
		"deprecated stop": {`{"encodedTrack":null}`, func(u PlayerUpdate) bool { return u.EncodedTrack.Null }, nil},
		"endTime null":    {`{"endTime":null}`, func(u PlayerUpdate) bool { return u.EndTime.Set && u.EndTime.Null }, nil},
		"unknown keys":    {`{"foo":1,"paused":true}`, func(u PlayerUpdate) bool { return u.Paused == Some(true) }, nil},
		"filters defaults": {`{"filters":{"karaoke":{"level":0.5},"timescale":{"speed":2},"equalizer":[{"band":3}],"distortion":{},"channelMix":{},"lowPass":{},"tremolo":{},"vibrato":{"depth":1},"rotation":null}}`, func(u PlayerUpdate) bool {
			f := u.Filters.Value
			return *f.Karaoke == Karaoke{0.5, 1, 220, 100} && *f.Timescale == Timescale{2, 1, 1} && f.Equalizer[0] == EqualizerBand{3, 1} &&
				*f.Distortion == Distortion{0, 1, 0, 1, 0, 1, 0, 1} && *f.ChannelMix == ChannelMix{1, 0, 0, 1} && *f.LowPass == LowPass{20} &&
				*f.Tremolo == Tremolo{2, 0.5} && *f.Vibrato == Vibrato{2, 1} && f.Rotation == nil
		}, nil},
		"volume null":      {`{"volume":null}`, nil, ErrNullValue},
		"volume string":    {`{"volume":"5"}`, nil, nil},
		"userData array":   {`{"track":{"userData":[]}}`, nil, ErrNotObject},
		"voice no channel": {`{"voice":{"token":"t","endpoint":"e","sessionId":"s"}}`, func(u PlayerUpdate) bool { return u.Voice.Value.ChannelID == nil }, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var u PlayerUpdate
			err := json.Unmarshal([]byte(c.in), &u)
			if c.check == nil {
				if err == nil {
					t.Fatalf("no error for %s", c.in)
				}
				if c.wantErr != nil && !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(u) {
				t.Errorf("unexpected decode of %s: %+v", c.in, u)
			}
		})
	}
}

func TestVoiceValidate(t *testing.T) {
	if err := (VoiceState{"t", "e", "s", ptr("c")}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := (VoiceState{Token: "t", Endpoint: " ", SessionID: "s"}).Validate()
	if !errors.Is(err, ErrVoiceIncomplete) || err.Error() != "Partial Lavalink voice state: endpoint, channelId must not be blank" {
		t.Fatalf("got %v", err)
	}
}

func TestLoadResultRoundTrip(t *testing.T) {
	for _, r := range []LoadResult{TrackResult(testTrack), PlaylistResult(Playlist{Tracks: []Track{testTrack}}), SearchResult([]Track{testTrack}),
		EmptyResult(), ErrorResult(NewException("m", SeverityFault, errors.New("boom")))} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back LoadResult
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Errorf("round trip:\n%s\n%s", b, b2)
		}
	}
	var r LoadResult
	if err := json.Unmarshal([]byte(`{"loadType":"empty","data":{}}`), &r); err != nil || r.LoadType != LoadTypeEmpty {
		t.Fatalf("empty with {}: %v %v", r, err)
	}
}

func TestParseMessage(t *testing.T) {
	msgs := []Message{
		ReadyMessage{true, "s"}, PlayerUpdateMessage{"1", PlayerState{1, 2, true, 3}},
		StatsMessage{Stats: Stats{Players: 1}, FrameStats: &FrameStats{1, 2, 3}}, StatsMessage{Stats: Stats{Players: 1}},
		TrackStartEvent{"1", testTrack}, TrackEndEvent{"1", testTrack, EndCleanup},
		TrackExceptionEvent{"1", testTrack, NewException("m", SeverityCommon, nil)},
		TrackStuckEvent{"1", testTrack, 100}, WebSocketClosedEvent{"1", 4006, "r", false},
	}
	for _, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		b2, _ := json.Marshal(got)
		if string(b) != string(b2) {
			t.Errorf("got %s want %s", b2, b)
		}
	}
	if _, err := ParseMessage([]byte(`{"op":"event","type":"QueueEndEvent"}`)); !errors.Is(err, ErrUnknownMessage) {
		t.Errorf("unknown event: %v", err)
	}
	if _, err := ParseMessage([]byte(`{"op":"foo"}`)); !errors.Is(err, ErrUnknownMessage) {
		t.Errorf("unknown op: %v", err)
	}
}

func TestEndReasonMayStartNext(t *testing.T) {
	want := map[TrackEndReason]bool{EndFinished: true, EndLoadFailed: true, EndStopped: false, EndReplaced: false, EndCleanup: false}
	for r, w := range want {
		if r.MayStartNext() != w {
			t.Errorf("%s: got %v", r, !w)
		}
	}
}

// FuzzPlayerUpdate: request decoding never panics, and what decodes
// re-encodes to a stable form.
func FuzzPlayerUpdate(f *testing.F) {
	f.Add([]byte(`{"track":{"encoded":null,"userData":{"a":[1]}},"endTime":null,"volume":80}`))
	f.Add([]byte(`{"filters":{"equalizer":[{"band":1}],"karaoke":{},"pluginFilters":{"x":1}},"voice":{"token":"t","endpoint":"e","sessionId":"s","channelId":"1"}}`))
	f.Add([]byte(`{"encodedTrack":"QAAA","identifier":"x","position":5,"paused":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var u PlayerUpdate
		if json.Unmarshal(b, &u) != nil {
			return
		}
		out, err := json.Marshal(u)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back PlayerUpdate
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(out) {
			t.Fatalf("unstable:\n%s\n%s", out, again)
		}
	})
}
