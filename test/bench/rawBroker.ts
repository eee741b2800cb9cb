/**
 * A bare aedes broker for the benchmark's pass-through reference (brokerReference.ts): the
 * version the server embeds, with its defaults (in-memory persistence, no authentication, no
 * hooks), on a free port of 127.0.0.1, its sockets with TCP_NODELAY. Run as a child process with an IPC channel; it reports
 * `{ port, version }` once listening and closes on SIGTERM or when the parent goes away.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
// TCP_NODELAY: Nagle's algorithm would hold small packets (acks, single readings) back for the
// peer's delayed ACK, up to 40 ms on Linux loopback, which is a socket setting, not a limit.
const server = createServer({ noDelay: true }, broker.handle);
// aedes exports no package.json: read it beside its entry point.
const packageJson = join(dirname(createRequire(import.meta.url).resolve('aedes')), 'package.json');
const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port, version });
});

const close = () => broker.close(() => server.close(() => process.exit(0)));
process.on('SIGTERM', close);
process.on('disconnect', close);
