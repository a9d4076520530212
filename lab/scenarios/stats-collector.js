// A stand-in for the panel's side of the agent channel, for lab tests of the
// agent's live stats (#5): a socket.io server with the /agent namespace that
// accepts any credential, answers hello, acknowledges every "stats" frame and
// keeps the panel's view of the stream (shared/agent-protocol: a delta frame's
// absent entries are unchanged with zero rates; a full frame replaces all).
//   node stats-collector.js PORT OUT_DIR
// OUT_DIR/frames.jsonl  one line per frame: {recv, frame}
// OUT_DIR/view.jsonl    one line per frame: {seq, full, at, recv, services: {KEY: {c, r, a, i, d: {KEY: {c, r}}}}}
// OUT_DIR/events.jsonl  connect / hello / disconnect
// GET /ask?event=connections|zero&payload=JSON  → the agent's ack as JSON (emitWithAck, 5 s)
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '../../node_modules/socket.io'));

const [port, out] = process.argv.slice(2);
if (!port || !out) {
  console.error('usage: stats-collector.js PORT OUT_DIR');
  process.exit(2);
}
const append = (file, value) => fs.appendFileSync(path.join(out, file), JSON.stringify(value) + '\n');
let agent = null;
let view = new Map();

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname !== '/ask') return res.writeHead(404).end();
  if (!agent) return res.writeHead(503).end('{"error":"no agent connected"}');
  try {
    const payload = JSON.parse(url.searchParams.get('payload') || '{}');
    const reply = await agent.timeout(5000).emitWithAck(url.searchParams.get('event'), payload);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  } catch (error) {
    res.writeHead(504).end(JSON.stringify({ error: error.message }));
  }
});
const io = new Server(server, { path: '/socket.io', serveClient: false });
io.of('/agent').on('connection', (socket) => {
  agent = socket;
  view = new Map();
  append('events.jsonl', { event: 'connected', at: Date.now(), hostId: socket.handshake.auth.hostId });
  socket.on('hello', (hello, ack) => {
    append('events.jsonl', { event: 'hello', at: Date.now(), hostname: hello.hostname, appliedGeneration: hello.appliedGeneration });
    ack({ ok: true, hostName: 'director' });
  });
  socket.on('report', (_report, ack) => typeof ack === 'function' && ack({ ok: true }));
  socket.on('health', (_report, ack) => typeof ack === 'function' && ack({ ok: true }));
  socket.on('stats', (frame, ack) => {
    const recv = Date.now();
    append('frames.jsonl', { recv, frame });
    const zero = [0, 0, 0, 0, 0];
    const next = new Map();
    if (!frame.full) {
      for (const [k, s] of view) {
        const d = new Map([...s.d].map(([dk, e]) => [dk, { ...e, r: zero }]));
        next.set(k, { ...s, r: zero, d });
      }
      for (const k of frame.gone || []) next.delete(k);
    }
    for (const s of frame.services) {
      const d = frame.full ? new Map() : new Map(next.get(s.k)?.d || []);
      for (const k of s.gone || []) d.delete(k);
      for (const e of s.d) d.set(e.k, { c: e.c, r: e.r });
      next.set(s.k, { c: s.c, r: s.r, a: s.a, i: s.i, d });
    }
    view = next;
    const services = {};
    for (const [k, s] of view) services[k] = { c: s.c, r: s.r, a: s.a, i: s.i, d: Object.fromEntries(s.d) };
    append('view.jsonl', { seq: frame.seq, full: frame.full, at: frame.at, recv, services });
    ack({ ok: true });
  });
  socket.on('disconnect', (reason) => {
    if (agent === socket) agent = null;
    append('events.jsonl', { event: 'disconnected', at: Date.now(), reason });
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log(`stats collector on 127.0.0.1:${port}`));
