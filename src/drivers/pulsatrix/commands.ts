import { wsCommand } from './wire.js';

/**
 * One API write, in both of its forms: the WebSocket frames (one value per frame) and the keys of
 * a PUT /api/v1/limits body (README.md beside this file).
 */
export interface Command {
  /** Frames sent in order over `/api/ws`. */
  ws: string[];
  /** Keys merged into one PUT /limits body. */
  rest: Record<string, number | boolean>;
}

/** Validity of API-set data on the SECC, ms. The REST body carries the docs' and the OpenAPI key. */
export function timeout(ms: number): Command {
  return { ws: [wsCommand('setTimeout', ms)], rest: { setTimeout: ms, timeout: ms } };
}

/** Charging allowed through the API (evcc's `setEnabled`; the OpenAPI `enabled`). The bridge only ever sends true. */
export function enable(): Command {
  return { ws: [wsCommand('setEnabled', true)], rest: { enabled: true } };
}

/** API current limit, A: below 6 pauses, NaN gives control back to the SECC. */
export function current(amps: number): Command {
  return {
    ws: [wsCommand('setCurrentLimit', amps)],
    rest: { setAmperageLimit: amps, amperageLimit: amps },
  };
}

/**
 * One-phase limit (true = charge on one phase). The docs spell the frame `setOnePhaseLimitActive`;
 * evcc's driver, maintained by pulsatrix, sends `set1p3p` (true = 1 phase). Both are sent: a
 * firmware ignores the command it does not know.
 */
export function onePhase(on: boolean): Command {
  return {
    ws: [wsCommand('setOnePhaseLimitActive', on), wsCommand('set1p3p', on)],
    rest: { setOnePhaseLimit: on },
  };
}

/** All frames of a command list, in order. */
export function commandFrames(cmds: readonly Command[]): string[] {
  return cmds.flatMap((c) => c.ws);
}

/** One PUT /limits body for a command list. */
export function restBody(cmds: readonly Command[]): Record<string, number | boolean> {
  return Object.assign({}, ...cmds.map((c) => c.rest));
}
