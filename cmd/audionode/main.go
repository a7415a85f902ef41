// Command audionode is the Lavalink-v4-compatible audio node.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/audionode/audionode/node"
	"github.com/audionode/audionode/node/buildinfo"
	"github.com/audionode/audionode/node/settings"
)

func main() {
	os.Exit(run())
}

func run() int {
	configPath := flag.String("config", "", "path of application.yml (default ./application.yml when present)")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Printf("audionode %s (Lavalink %s protocol)\n", buildinfo.Version, buildinfo.LavalinkVersion)
		return 0
	}
	res, err := settings.Load(settings.Options{Path: *configPath})
	if err != nil {
		fmt.Fprintln(os.Stderr, "audionode: configuration:", err)
		return 2
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(res.Settings.AudioNode.LogLevel))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if res.File != "" {
		log.Info("configuration loaded", "file", res.File)
	}
	for _, w := range res.Warnings {
		log.Warn(w)
	}
	n, err := node.New(res.Settings, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	// SIGTERM or SIGINT drains: no new players, readiness fails, players
	// finish until audionode.drain.timeoutMs, then clients get 1001 and the
	// node stops. A second signal stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
			return
		}
		log.Info("draining before shutdown", "timeout", res.Settings.AudioNode.DrainTimeout)
		n.Drain(res.Settings.AudioNode.DrainTimeout)
		select {
		case <-n.Drained():
		case <-sigs:
		case <-ctx.Done():
		}
		cancel()
	}()
	if err := n.Run(ctx); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}
