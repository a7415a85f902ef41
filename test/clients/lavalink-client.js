// Drives audionode with lavalink-client 2.11.0 as a bot would, with
// Discord's voice events synthesized. Env as shoukaku.js.
'use strict';
const assert = require('node:assert');
const { LavalinkManager } = require(process.env.AUDIONODE_NPM_DIR + '/node_modules/lavalink-client');

const USER = '12', GUILD = '301', CHANNEL = '401';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const step = (s) => console.log('step', s);
const [host, port] = process.env.NODE_ADDR.split(':');

const manager = new LavalinkManager({
  nodes: [{ host, port: Number(port), authorization: process.env.PASSWORD, id: 'audionode', retryAmount: 1 }],
  sendToShard: (guildId, payload) => {
    if (payload.op !== 4 || !payload.d.channel_id) return;
    setTimeout(() => {
      manager.sendRawData({ t: 'VOICE_STATE_UPDATE', d: { guild_id: GUILD, channel_id: CHANNEL, user_id: USER, session_id: 'vs-llc' } });
      manager.sendRawData({ t: 'VOICE_SERVER_UPDATE', d: { guild_id: GUILD, token: 'tok-llc', endpoint: process.env.VOICE_ENDPOINT } });
    }, 10);
  },
  client: { id: USER, username: 'testbot' },
});
setTimeout(() => { console.error('timeout'); process.exit(2); }, 40000).unref();
manager.nodeManager.on('error', (_n, e) => console.error('node error', e));

manager.nodeManager.once('connect', async () => {
  try {
    step('create');
    const player = manager.createPlayer({ guildId: GUILD, voiceChannelId: CHANNEL, textChannelId: '1', selfDeaf: true, volume: 80 });
    step('connect');
    await player.connect();
    step('search');
    const res = await player.search({ query: process.env.TRACK_URL, source: 'http' }, { id: 'requester' });
    assert.strictEqual(res.loadType, 'track', JSON.stringify(res).slice(0, 500));
    await player.queue.add(res.tracks[0]);
    const started = new Promise((r) => manager.once('trackStart', r));
    step('play');
    await player.play();
    await started;
    await sleep(1000);
    step('pause');
    await player.pause();
    await player.resume();
    step('seek');
    await player.seek(1000);
    step('volume');
    await player.setVolume(50);
    step('filters');
    await player.filterManager.setSpeed(1.2);
    step('destroy');
    await player.destroy();
    console.log('OK');
    process.exit(0);
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
});
manager.init({ id: USER, username: 'testbot' });
