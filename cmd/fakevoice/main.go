// Command fakevoice runs the fake Discord voice server of package
// voicetest on its own, for local benchmarks and demos, and prints what it
// receives: frames, decryption status, sequence and timing checks, and the
// dominant frequency and level of each channel.
//
//	fakevoice -listen 127.0.0.1:8091 [-tls] [-any] [-guild G -user U -session S -token T]
//
// Hand the node the printed endpoint as the voice server endpoint. Without
// -tls it is a ws:// endpoint, which the node accepts only with
// audionode.voice.allowInsecureEndpoints: true.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/audionode/audionode/node/voicetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx ends, printing reports to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	flag := flag.NewFlagSet("fakevoice", flag.ContinueOnError)
	listen := flag.String("listen", "127.0.0.1:0", "TCP and UDP listen address")
	useTLS := flag.Bool("tls", false, "serve wss with a self-signed certificate (written to -cert)")
	certOut := flag.String("cert", "", "with -tls: write the CA certificate (PEM) here")
	acceptAny := flag.Bool("any", true, "accept any credentials on first Identify")
	guild := flag.String("guild", "", "expected guild id (with -user, -session, -token)")
	user := flag.String("user", "", "expected user id")
	session := flag.String("session", "", "expected voice session id")
	token := flag.String("token", "", "expected voice token")
	hb := flag.Duration("heartbeat", 5*time.Second, "heartbeat interval sent in Hello")
	modes := flag.String("modes", "", "comma-separated modes to offer (default both rtpsize AEAD modes)")
	every := flag.Duration("every", 2*time.Second, "print a report this often (0: only at exit)")
	jsonOut := flag.Bool("json", false, "print reports as JSON lines")
	noDecode := flag.Bool("no-decode", false, "skip Opus decoding (load runs)")
	verbose := flag.Bool("v", false, "log gateway events")
	if err := flag.Parse(args); err != nil {
		return err
	}

	opts := voicetest.Options{Addr: *listen, TLS: *useTLS, HeartbeatInterval: *hb, AcceptAny: *acceptAny, NoDecode: *noDecode}
	if *modes != "" {
		opts.Modes = strings.Split(*modes, ",")
	}
	if *verbose {
		opts.Logf = log.Printf
	}
	srv, err := voicetest.NewServer(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if *useTLS && *certOut != "" {
		if err := os.WriteFile(*certOut, srv.CertPEM(), 0o644); err != nil {
			return err
		}
	}
	if *guild != "" {
		srv.Expect(voicetest.Credentials{GuildID: *guild, UserID: *user, SessionID: *session, Token: *token})
	}
	fmt.Fprintf(out, "fakevoice: endpoint %s (udp %s)\n", srv.Endpoint(), srv.UDPAddr())

	var tick <-chan time.Time
	if *every > 0 {
		t := time.NewTicker(*every)
		defer t.Stop()
		tick = t.C
	}
	last := map[string]uint64{}
	for {
		select {
		case <-ctx.Done():
			printReport(out, srv, *jsonOut, nil)
			return nil
		case <-tick:
			printReport(out, srv, *jsonOut, last)
		}
	}
}

// printReport writes one line per session; with last set, only sessions that
// received packets since the previous call.
func printReport(out io.Writer, srv *voicetest.Server, asJSON bool, last map[string]uint64) {
	ss := srv.Sessions()
	sort.Slice(ss, func(i, j int) bool { return ss[i].Guild() < ss[j].Guild() })
	for _, s := range ss {
		r := s.Report()
		g := s.Guild()
		if last != nil {
			if r.Packets == last[g] && r.Packets > 0 {
				continue
			}
			last[g] = r.Packets
		}
		if asJSON {
			b, _ := json.Marshal(struct {
				Guild string `json:"guild"`
				voicetest.Report
			}{g, r})
			fmt.Fprintln(out, string(b))
			continue
		}
		fmt.Fprintf(out, "guild %s: %s mode=%s packets=%d decrypted=%d failed=%d gaps=%d reorders=%d ts_err=%d nonce_rep=%d "+
			"speaking=%d/%d before_speaking=%d silence_runs=%d bad_runs=%d keepalives=%d "+
			"arrival p50=%v p99=%v jitter p50=%v p99=%v late40=%d  L %.1f Hz %.1f dBFS  R %.1f Hz %.1f dBFS  identifies=%d resumes=%d\n",
			g, state(r), r.Mode, r.Packets, r.Decrypted, r.DecryptFailed, r.SeqGaps, r.Reorders, r.TimestampErrors, r.NonceRepeats,
			r.SpeakingOn, r.SpeakingOff, r.BeforeSpeaking+r.WhileNotSpeaking, r.SilenceRuns, r.BadSilenceRuns, r.Keepalives,
			r.ArrivalP50, r.ArrivalP99, r.JitterP50, r.JitterP99, r.Late40,
			r.Channels[0].DominantHz, r.Channels[0].LevelDBFS, r.Channels[1].DominantHz, r.Channels[1].LevelDBFS,
			r.Identifies, r.Resumes)
	}
}

func state(r voicetest.Report) string {
	if r.Connected {
		return "connected"
	}
	return "disconnected"
}
