/**
 * Benchmark child process: a bare Aedes broker (TCP_NODELAY, as the bridge embeds it) in its own
 * process with nothing else running in it, for the floor measurement: the broker's own publish →
 * delivery round trip. Reports its port over IPC as `{port}`.
 */
import net from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = net.createServer({ noDelay: true }, broker.handle);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as net.AddressInfo).port });
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
