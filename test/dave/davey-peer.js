// davey-peer drives @snazzah/davey (an independent Rust DAVE implementation)
// for Go interop tests: one JSON request per stdin line, one JSON reply per
// stdout line. Buffers travel as base64. Several named sessions may coexist.
'use strict';
const readline = require('node:readline');
const davey = require('@snazzah/davey');

const sessions = new Map();
const b64 = (b) => (b ? Buffer.from(b).toString('base64') : null);
const buf = (s) => Buffer.from(s || '', 'base64');

function handle(req) {
  const s = sessions.get(req.name);
  switch (req.cmd) {
    case 'version':
      return { version: davey.VERSION, protocol: davey.DAVE_PROTOCOL_VERSION };
    case 'new': {
      const ns = new davey.DAVESession(1, req.userId, req.channelId);
      sessions.set(req.name, ns);
      return {};
    }
    case 'close':
      sessions.delete(req.name);
      return {};
    case 'setExternalSender':
      s.setExternalSender(buf(req.data));
      return {};
    case 'keyPackage':
      return { data: b64(s.getSerializedKeyPackage()) };
    case 'processProposals': {
      const r = s.processProposals(req.op, buf(req.data), req.recognized);
      return { commit: b64(r.commit), welcome: b64(r.welcome) };
    }
    case 'processCommit':
      s.processCommit(buf(req.data));
      return {};
    case 'processWelcome':
      s.processWelcome(buf(req.data));
      return {};
    case 'encrypt':
      return { data: b64(s.encryptOpus(buf(req.data))) };
    case 'decrypt':
      return { data: b64(s.decrypt(req.userId, 0, buf(req.data))) };
    case 'setPassthrough':
      s.setPassthroughMode(req.on, 10);
      return {};
    case 'state':
      return {
        epoch: s.epoch === null ? null : Number(s.epoch),
        ready: s.ready,
        status: s.status,
        userIds: s.getUserIds(),
        ownLeaf: s.ownLeafIndex,
        authenticator: b64(s.getEpochAuthenticator()),
      };
    default:
      throw new Error('unknown command ' + req.cmd);
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  let out;
  try {
    out = { ok: true, ...handle(JSON.parse(line)) };
  } catch (e) {
    out = { ok: false, error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
