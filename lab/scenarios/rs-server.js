// Real-server HTTP server for the lab: answers every request with its NAME and
// keeps connections open (HTTP/1.1 keep-alive, no idle timeout), so a client
// can hold one TCP connection through the VIP for a whole test.
//   node rs-server.js NAME PORT [PORT...]      (listens on :: = IPv4 and IPv6)
'use strict';
const http = require('http');
const [name, ...ports] = process.argv.slice(2);
if (!name || ports.length === 0) {
  console.error('usage: rs-server.js NAME PORT [PORT...]');
  process.exit(2);
}
for (const port of ports) {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name}\n`);
  });
  server.keepAliveTimeout = 0; // never close an idle keep-alive connection
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.listen({ port: Number(port), host: '::', ipv6Only: false }, () =>
    console.log(`${name} listening on ${port}`),
  );
}
