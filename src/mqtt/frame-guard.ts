import type { Socket } from 'node:net';

/**
 * Drops a TCP client of the embedded broker as soon as it announces a packet larger than
 * `maxPacketBytes` (the fixed header's remaining length), before the broker buffers the body: the
 * broker parses a whole packet before it can refuse it, and a 200 MiB publish would cost 200 MiB.
 *
 * It listens to 'data', which the broker's own 'readable' reads emit (the broker keeps control of
 * the flow); per chunk it looks at header bytes only and skips bodies, allocating nothing.
 * `refused` gets the announced size (or -1 for a malformed length).
 */
export function guardFrames(socket: Socket, maxPacketBytes: number, refused: (bytes: number) => void): void {
  // 0: next byte is a fixed header; 1: in the remaining-length bytes; 2: skipping a body
  let phase = 0;
  let length = 0;
  let shift = 0;
  let skip = 0;
  socket.on('data', (chunk: Buffer) => {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (phase === 2) {
        const take = Math.min(skip, n - i);
        skip -= take;
        i += take;
        if (skip === 0) phase = 0;
        continue;
      }
      const b = chunk[i++] as number;
      if (phase === 0) {
        phase = 1;
        length = 0;
        shift = 0;
        continue;
      }
      length += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b & 0x80) {
        if (shift > 21) return drop(-1); // at most 4 length bytes (MQTT 3.1.1 §2.2.3)
        continue;
      }
      if (length > maxPacketBytes) return drop(length);
      skip = length;
      phase = skip === 0 ? 0 : 2;
    }
  });
  const drop = (bytes: number): void => {
    refused(bytes);
    socket.destroy();
  };
}
