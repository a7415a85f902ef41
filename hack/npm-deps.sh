#!/usr/bin/env bash
# Installs the pinned npm packages tests need into a cached directory
# (default $HOME/.cache/audionode-npm, override with AUDIONODE_NPM_DIR).
# Idempotent: packages already present at the pinned version are skipped.
set -euo pipefail

NPM_DIR="${AUDIONODE_NPM_DIR:-$HOME/.cache/audionode-npm}"
mkdir -p "$NPM_DIR"
[ -f "$NPM_DIR/package.json" ] || echo '{"private": true}' >"$NPM_DIR/package.json"

# install_pinned NAME VERSION
install_pinned() {
	local name="$1" version="$2" pkg="$NPM_DIR/node_modules/$1/package.json"
	if [ -f "$pkg" ] && node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' "$pkg" "$version"; then
		return 0
	fi
	(cd "$NPM_DIR" && npm install --no-audit --no-fund --save-exact "$name@$version")
}

# --- BEGIN dave interop (issue 6): @snazzah/davey, Rust DAVE used by discord.js ---
install_pinned @snazzah/davey 0.1.12
# --- END dave interop ---

# --- BEGIN Lavalink clients (issue 3): real client libraries driven against the binary ---
install_pinned shoukaku 4.3.0
install_pinned lavalink-client 2.11.0
# --- END Lavalink clients ---
