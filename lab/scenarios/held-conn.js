// One long-lived TCP connection through a VIP, used to prove that an apply
// never breaks established connections. It sends an HTTP/1.1 keep-alive
// request on the SAME socket every INTERVAL ms and logs one line per answer:
//   <epoch ms> ok <backend> <local port>
// and "<epoch ms> closed|error|timeout ..." if anything goes wrong (then exits 1
// on close). The socket is never replaced: a new connection would be a failure.
//   node held-conn.js HOST PORT LOGFILE [INTERVAL_MS]
'use strict';
const net = require('net');
const fs = require('fs');
const [host, port, logFile, intervalArg] = process.argv.slice(2);
const interval = Number(intervalArg || 300);
const log = (line) => fs.appendFileSync(logFile, `${Date.now()} ${line}\n`);
const socket = net.connect({ host, port: Number(port) });
let buffer = '';
let pending = null;
socket.setNoDelay(true);
socket.on('connect', () => { log(`connected ${socket.localPort}`); send(); });
socket.on('data', (chunk) => {
  buffer += chunk.toString('latin1');
  for (;;) {
    const headerEnd = buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const match = /content-length:\s*(\d+)/i.exec(buffer.slice(0, headerEnd));
    const length = match ? Number(match[1]) : 0;
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.slice(headerEnd + 4, headerEnd + 4 + length).trim();
    buffer = buffer.slice(headerEnd + 4 + length);
    clearTimeout(pending);
    log(`ok ${body} ${socket.localPort}`);
    setTimeout(send, interval);
  }
});
socket.on('error', (err) => log(`error ${err.code || err.message}`));
socket.on('close', () => { log('closed'); process.exit(1); });
function send() {
  socket.write(`GET /held HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`);
  pending = setTimeout(() => log('timeout no answer within 3 s'), 3000);
}
