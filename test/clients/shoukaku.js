// Drives audionode with shoukaku 4.3.0 as a bot would, with Discord's voice
// events synthesized. Env: NODE_ADDR (host:port), PASSWORD, TRACK_URL,
// VOICE_ENDPOINT, AUDIONODE_NPM_DIR. Exits 0 and prints OK on success.
'use strict';
const assert = require('node:assert');
const { Shoukaku, Connector } = require(process.env.AUDIONODE_NPM_DIR + '/node_modules/shoukaku');

const USER = '11', GUILD = '300', CHANNEL = '400';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const step = (s) => console.log('step', s);

class FakeDiscord extends Connector {
  getId() { return USER; }
  sendPacket(_shard, payload) {
    if (payload.op !== 4 || !payload.d.channel_id) return;
    setTimeout(() => {
      this.raw({ t: 'VOICE_STATE_UPDATE', d: { guild_id: GUILD, channel_id: CHANNEL, user_id: USER, session_id: 'vs-shoukaku' } });
      this.raw({ t: 'VOICE_SERVER_UPDATE', d: { guild_id: GUILD, token: 'tok-shoukaku', endpoint: process.env.VOICE_ENDPOINT } });
    }, 10);
  }
  listen(nodes) { setImmediate(() => this.ready(nodes)); }
}

const shoukaku = new Shoukaku(new FakeDiscord({}), [{ name: 'audionode', url: process.env.NODE_ADDR, auth: process.env.PASSWORD }],
  { resume: true, resumeTimeout: 30, reconnectTries: 1, voiceConnectionTimeout: 15 });
shoukaku.on('error', (_n, e) => console.error('shoukaku error', e));
setTimeout(() => { console.error('timeout'); process.exit(2); }, 40000).unref();

shoukaku.once('ready', async () => {
  try {
    const node = shoukaku.getIdealNode();
    step('resolve');
    const res = await node.rest.resolve(process.env.TRACK_URL);
    assert.strictEqual(res.loadType, 'track', JSON.stringify(res));
    assert.ok(res.data.info.length > 1000, 'length');
    step('join');
    const player = await shoukaku.joinVoiceChannel({ guildId: GUILD, channelId: CHANNEL, shardId: 0 });
    const started = new Promise((r) => player.once('start', r));
    step('play');
    await player.playTrack({ track: { encoded: res.data.encoded } });
    await started;
    await sleep(1000);
    step('pause');
    await player.setPaused(true);
    await player.setPaused(false);
    step('seek');
    await player.seekTo(1000);
    step('volume');
    await player.setGlobalVolume(50);
    step('filters');
    await player.setFilters({ timescale: { speed: 1.2, pitch: 1, rate: 1 } });
    const got = await node.rest.getPlayer(GUILD);
    assert.strictEqual(got.volume, 50);
    assert.ok(got.filters.timescale, 'filters kept');
    assert.ok(got.state.connected, 'voice connected');
    step('leave');
    await shoukaku.leaveVoiceChannel(GUILD);
    console.log('OK');
    process.exit(0);
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
});
