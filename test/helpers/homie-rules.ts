import type { Msg } from './recorder.js';

/**
 * Homie 4 checks (numbered 6B.1–12: the rules of the Homie 4.0.0 convention,
 * https://homieiot.github.io/specification/spec-core-v4_0_0/) over captured messages. Returns one
 * line per violation (empty = conformant).
 */

const ID = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const STATES = new Set(['init', 'ready', 'disconnected', 'sleeping', 'lost', 'alert']);
const DATATYPES = new Set(['integer', 'float', 'boolean', 'string', 'enum', 'color', 'datetime', 'duration']);

/** Checks Homie device `dev` under `root` (default `homie`). */
export function checkHomieDevice(messages: readonly Msg[], dev: string, root = 'homie'): string[] {
  const errors: string[] = [];
  const err = (rule: number, text: string) => errors.push(`[6B.${rule}] ${dev}: ${text}`);
  const prefix = `${root}/${dev}/`;
  const mine = messages.filter((m) => m.topic.startsWith(prefix));
  const store = new Map<string, string>();
  for (const m of mine) {
    if (m.retain) {
      if (m.payload === '') store.delete(m.topic);
      else store.set(m.topic, m.payload);
    }
    // 9: everything we publish is retained (no property declares $retained=false)
    if (!m.retain) err(9, `${m.topic} not retained`);
  }
  const get = (sub: string) => store.get(prefix + sub);
  const seen = (sub: string) => mine.some((m) => m.topic === prefix + sub);

  // 1
  if (!ID.test(dev)) err(1, `device id ${dev} invalid`);
  for (const m of mine) {
    for (const level of m.topic.slice(prefix.length).split('/')) {
      if (level.startsWith('$') || level === 'set') continue;
      if (!ID.test(level)) err(1, `topic level ${level} in ${m.topic}`);
    }
  }
  // 2
  const homie = get('$homie');
  if (!homie || !/^4\.\d+\.\d+$/.test(homie)) err(2, `$homie is ${String(homie)}`);
  for (const a of ['$name', '$state', '$nodes']) if (get(a) === undefined) err(2, `${a} missing`);
  // $extensions may be empty: an empty retained message cannot be stored, so it must at least be published
  if (!seen('$extensions')) err(2, '$extensions never published');
  // 3
  const state = get('$state');
  if (state !== undefined && !STATES.has(state)) err(3, `$state ${state}`);
  // 4–8
  const nodes = (get('$nodes') ?? '').split(',').filter(Boolean);
  for (const m of store.keys()) {
    const first = m.slice(prefix.length).split('/')[0]!;
    if (!first.startsWith('$') && !nodes.includes(first)) err(4, `${m} under undeclared node ${first}`);
  }
  for (const node of nodes) {
    for (const a of ['$name', '$type', '$properties'])
      if (get(`${node}/${a}`) === undefined) err(4, `${node}/${a} missing`);
    const props = (get(`${node}/$properties`) ?? '').split(',').filter(Boolean);
    for (const p of props) {
      const at = (a: string) => get(`${node}/${p}/${a}`);
      const name = at('$name');
      const dt = at('$datatype');
      if (!name) err(5, `${node}/${p}/$name missing`);
      if (!dt || !DATATYPES.has(dt)) {
        err(5, `${node}/${p}/$datatype ${String(dt)}`);
        continue;
      }
      const format = at('$format');
      if ((dt === 'enum' || dt === 'color') && !format) err(6, `${node}/${p} ${dt} without $format`);
      let range: [number, number] | undefined;
      let options: string[] | undefined;
      if (format && dt === 'enum') {
        options = format.split(',');
        if (options.some((o) => o === '') || new Set(options).size !== options.length)
          err(6, `${node}/${p} enum format ${format}`);
      } else if (format && (dt === 'integer' || dt === 'float')) {
        const f = /^(-?\d+(?:\.\d+)?):(-?\d+(?:\.\d+)?)$/.exec(format);
        if (!f) err(6, `${node}/${p} numeric format ${format}`);
        else {
          range = [Number(f[1]), Number(f[2])];
          if (range[0] > range[1]) err(6, `${node}/${p} format min > max`);
        }
      }
      for (const a of ['$settable', '$retained']) {
        const v = at(a);
        if (v !== undefined && v !== 'true' && v !== 'false') err(7, `${node}/${p}/${a} = ${v}`);
      }
      // 8: the value held now, and every value ever published on the property (a transient bad
      // one reached openHAB too)
      const topic = `${prefix}${node}/${p}`;
      const values = [get(`${node}/${p}`), ...mine.filter((m) => m.topic === topic).map((m) => m.payload)];
      for (const value of new Set(values)) {
        if (value === undefined || value === '') continue; // zero-length: no value (deleted)
        const why = valueProblem(dt, value, options, range);
        if (why) err(8, `${node}/${p} value ${JSON.stringify(value)}: ${why}`);
      }
    }
  }
  // 11, 12: within each announcement, init comes first, ready last, no attribute after ready
  const stateMsgs = mine.filter((m) => m.topic === `${prefix}$state`);
  let cycleStart = -1;
  for (const s of stateMsgs) {
    if (s.payload === 'init') cycleStart = s.i;
    if (s.payload === 'ready' && cycleStart >= 0) {
      const attrsAfterReady = mine.filter(
        (m) => m.i > s.i && /\/\$(?!state$|name$)[a-z]+$/.test(m.topic) && !m.topic.endsWith('/$state'),
      );
      const nextInit =
        stateMsgs.find((x) => x.i > s.i && x.payload === 'init')?.i ?? Number.POSITIVE_INFINITY;
      for (const a of attrsAfterReady)
        if (a.i < nextInit && !a.topic.endsWith('/$name')) err(12, `${a.topic} changed while ready`);
      const inCycle = mine.filter((m) => m.i > cycleStart && m.i < s.i);
      if (inCycle.length === 0) err(11, 'ready without attributes and values before it');
      cycleStart = -1;
    }
  }
  if (!stateMsgs.some((s) => s.payload === 'ready' || s.payload === 'alert')) err(11, 'never reached ready');
  return errors;
}

/** Why a non-empty property value does not parse per its datatype and format, or null. */
function valueProblem(
  dt: string,
  value: string,
  options: string[] | undefined,
  range: [number, number] | undefined,
): string | null {
  if (dt === 'integer' && !/^-?\d+$/.test(value)) return 'not an integer';
  if (dt === 'float' && (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) || !Number.isFinite(Number(value))))
    return 'not a float';
  if (dt === 'boolean' && value !== 'true' && value !== 'false') return 'not a boolean';
  if (dt === 'enum' && options && !options.includes(value)) return 'not in the enum format';
  if (dt === 'datetime' && Number.isNaN(Date.parse(value))) return 'not ISO 8601';
  if (range && (dt === 'integer' || dt === 'float') && (Number(value) < range[0] || Number(value) > range[1]))
    return `outside ${range[0]}:${range[1]}`;
  return null;
}
