import type { RecordedRequest, SimReply } from '../../sim/http-sim.js';

/** What RAPI commands set on firmware without claims. */
export interface RapiHeld {
  state: 'active' | 'sleep' | 'disabled';
  pilot: number;
}

/** What the RAPI emulation reads and drives of the simulated OpenEVSE. */
export interface RapiDevice {
  readonly firmware: 'v5' | 'v2';
  readonly minCurrentHard: number;
  readonly maxCurrentHard: number;
  readonly maxCurrentSoft: number;
  readonly voltage: number;
  readonly rapi: RapiHeld;
  computeStatus(): Record<string, unknown>;
  pilot(): number;
}

/**
 * `GET|POST /r` (alias `/rapi`) with `rapi=$XX …` (RAPI over HTTP, see README.md): `json` asks for
 * `{cmd, ret}`, else the HTML page the WiFi firmware serves. The simulated v5 firmware answers
 * only the `$G…` getters, as v5 release builds do (HTTP 400 `RAPI_RESPONSE_BLOCKED`).
 * `changed` is called when a command changed what the status shows.
 */
export function rapiRequest(dev: RapiDevice, url: URL, req: RecordedRequest, changed: () => void): SimReply {
  const form = new URLSearchParams(req.method === 'POST' ? req.body : '');
  const cmd = (url.searchParams.get('rapi') ?? form.get('rapi') ?? '').trim();
  const json = url.searchParams.has('json') || form.has('json');
  if (!cmd.startsWith('$')) return { status: 400, body: { msg: 'No RAPI command' } };
  if (dev.firmware !== 'v2' && !cmd.startsWith('$G')) {
    return { status: 400, body: { cmd, error: 'RAPI_RESPONSE_BLOCKED' } };
  }
  const ret = withChecksum(rapiExec(dev, cmd, changed));
  return json
    ? { status: 200, body: { cmd, ret } }
    : { status: 200, text: `<html>${cmd}<p>&gt;${ret}</html>` };
}

function rapiExec(dev: RapiDevice, cmd: string, changed: () => void): string {
  const [op, ...args] = cmd.split(/\s+/);
  const s = dev.computeStatus();
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const setState = (state: RapiHeld['state']) => {
    dev.rapi.state = state;
    changed();
    return '$OK';
  };
  switch (op) {
    case '$GS':
      return `$OK ${hex(s.state as number, 2)} ${s.elapsed} ${hex(s.state === 3 ? 3 : s.vehicle ? 2 : 1, 2)} ${hex(s.flags as number, 4)}`;
    case '$GC':
      return `$OK ${dev.minCurrentHard} ${dev.maxCurrentHard} ${dev.pilot()} ${dev.maxCurrentSoft}`;
    case '$GG':
      return `$OK ${s.amp} ${Math.round(dev.voltage * 1000)}`;
    case '$GV':
      return '$OK 7.1.3 5.1.3';
    case '$SC': {
      const amps = Number(args[0]);
      if (!Number.isFinite(amps)) return '$NK';
      const clamped = Math.max(dev.minCurrentHard, Math.min(dev.maxCurrentSoft, Math.round(amps)));
      dev.rapi.pilot = clamped;
      changed();
      return `${clamped === amps ? '$OK' : '$NK'} ${clamped}`;
    }
    case '$FE':
      return setState('active');
    case '$FS':
      return setState('sleep');
    case '$FD':
      return setState('disabled');
    default:
      return '$NK';
  }
}

/** Appends the RAPI XOR checksum `^xx`. */
function withChecksum(reply: string): string {
  let x = 0;
  for (const ch of Buffer.from(reply)) x ^= ch;
  return `${reply}^${x.toString(16).toUpperCase().padStart(2, '0')}`;
}
