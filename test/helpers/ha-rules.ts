import { renderJinja } from './jinja.js';
import type { Msg } from './recorder.js';

/**
 * Home Assistant discovery checks (numbered 6A.1–18: the rules of Home Assistant's MQTT discovery
 * documentation, https://www.home-assistant.io/integrations/mqtt/), over what a broker client
 * captured. Returns one line per violation (empty = conformant).
 */

const COMPONENTS = new Set([
  'sensor',
  'binary_sensor',
  'number',
  'switch',
  'select',
  'button',
  'text',
  'event',
  'update',
  'device',
  'device_automation',
]);

/** Units Home Assistant allows per device_class (exact bytes). */
const UNITS: Record<string, string[] | null> = {
  energy: ['Wh', 'kWh', 'MWh', 'mWh', 'GWh', 'TWh', 'MJ', 'GJ'],
  power: ['W', 'kW', 'mW', 'MW', 'GW', 'TW', 'BTU/h'],
  current: ['A', 'mA'],
  voltage: ['V', 'mV', 'µV', 'kV', 'MV'],
  temperature: ['°C', '°F', 'K'],
  duration: ['d', 'h', 'min', 's', 'ms'],
  battery: ['%'],
  frequency: ['Hz', 'kHz', 'MHz', 'GHz'],
  monetary: null,
  enum: [],
  timestamp: [],
  date: [],
};

const STATE_CLASSES: Record<string, string[]> = {
  energy: ['total', 'total_increasing'],
  power: ['measurement'],
  current: ['measurement'],
  voltage: ['measurement'],
  temperature: ['measurement'],
  battery: ['measurement'],
  frequency: ['measurement'],
  duration: ['measurement', 'total_increasing', 'total'],
  monetary: ['total'],
};

const ABBREV: Record<string, string> = {
  avty: 'availability',
  avty_mode: 'availability_mode',
  avty_t: 'availability_topic',
  avty_tpl: 'availability_template',
  cmd_t: 'command_topic',
  cmd_tpl: 'command_template',
  dev: 'device',
  dev_cla: 'device_class',
  ent_cat: 'entity_category',
  json_attr_t: 'json_attributes_topic',
  obj_id: 'object_id',
  ops: 'options',
  pl_on: 'payload_on',
  pl_off: 'payload_off',
  stat_cla: 'state_class',
  stat_t: 'state_topic',
  uniq_id: 'unique_id',
  unit_of_meas: 'unit_of_measurement',
  val_tpl: 'value_template',
  def_ent_id: 'default_entity_id',
  o: 'origin',
  sug_dsp_prc: 'suggested_display_precision',
};
const DEVICE_ABBREV: Record<string, string> = {
  ids: 'identifiers',
  cns: 'connections',
  mf: 'manufacturer',
  mdl: 'model',
  sw: 'sw_version',
  hw: 'hw_version',
  sn: 'serial_number',
  cu: 'configuration_url',
};
const ORIGIN_KEYS = new Set(['name', 'sw_version', 'support_url', 'sw', 'url']);

type Config = Record<string, unknown>;

/** A template rendered strictly (see jinja.ts); the error text when it fails. */
function render(template: unknown, payload: string): { text: string } | { error: string } {
  if (typeof template !== 'string') return { text: payload };
  try {
    return { text: renderJinja(template, payload) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Checks every retained discovery config in `messages`; `prefix` is the discovery prefix. */
export function checkHaDiscovery(messages: readonly Msg[], prefix = 'homeassistant'): string[] {
  const errors: string[] = [];
  const err = (topic: string, rule: number, text: string) => errors.push(`[6A.${rule}] ${topic}: ${text}`);
  const topicRe = new RegExp(`^${prefix}/(\\w+)/(?:([a-zA-Z0-9_-]+)/)?([a-zA-Z0-9_-]+)/config$`);
  const configs = new Map<string, Config>();
  const lastRetained = new Map<string, Msg>();
  for (const m of messages) if (m.retain) lastRetained.set(m.topic, m);

  for (const m of messages) {
    if (!m.topic.startsWith(`${prefix}/`) || !m.topic.endsWith('/config')) continue;
    const match = topicRe.exec(m.topic);
    if (!match || !COMPONENTS.has(match[1]!))
      err(m.topic, 1, 'topic does not match <prefix>/<component>/[<node>/]<object>/config');
    if (!m.retain) err(m.topic, 3, 'not retained');
    if (m.qos < 1) err(m.topic, 3, `qos ${m.qos}`);
    if (m.payload === '') {
      configs.delete(m.topic);
      continue;
    }
    let p: unknown;
    try {
      p = JSON.parse(m.payload);
    } catch {
      err(m.topic, 2, 'payload is not JSON');
      continue;
    }
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      err(m.topic, 2, 'payload is not a JSON object');
      continue;
    }
    configs.set(m.topic, p as Config);
  }

  const uniqueIds = new Map<string, string>();
  const identifiersByNode = new Map<string, string>();
  const allIdentifiers = new Set<string>();
  for (const c of configs.values()) {
    const ids = (c.device as { identifiers?: string[] } | undefined)?.identifiers;
    for (const id of ids ?? []) allIdentifiers.add(id);
  }

  for (const [topic, c] of configs) {
    const component = topicRe.exec(topic)?.[1] ?? '';
    const node = topicRe.exec(topic)?.[2] ?? '';
    for (const [a, long] of Object.entries(ABBREV))
      if (a in c && long in c) err(topic, 4, `both ${a} and ${long}`);
    const dev = c.device as Record<string, unknown> | undefined;
    if (dev)
      for (const [a, long] of Object.entries(DEVICE_ABBREV))
        if (a in dev && long in dev) err(topic, 4, `device has both ${a} and ${long}`);
    // 5
    const uid = c.unique_id;
    if (typeof uid !== 'string' || uid === '') err(topic, 5, 'no unique_id');
    else if (uniqueIds.has(uid)) err(topic, 5, `unique_id ${uid} also used by ${uniqueIds.get(uid)}`);
    else uniqueIds.set(uid, topic);
    // 6
    const ids = dev?.identifiers;
    if (!Array.isArray(ids) || ids.length === 0) err(topic, 6, 'device.identifiers empty');
    else {
      const first = String(ids[0]);
      const known = identifiersByNode.get(node);
      if (known && known !== first) err(topic, 6, `node ${node} has identifiers ${known} and ${first}`);
      identifiersByNode.set(node, first);
    }
    if (dev && 'via_device' in dev && !allIdentifiers.has(String(dev.via_device)))
      err(topic, 6, `via_device ${String(dev.via_device)} is not a published device`);
    // 7
    const origin = c.origin as Record<string, unknown> | undefined;
    if (!origin || typeof origin.name !== 'string') err(topic, 7, 'origin.name missing');
    else
      for (const k of Object.keys(origin))
        if (!ORIGIN_KEYS.has(k)) err(topic, 7, `origin has unexpected key ${k}`);
    // 8
    if ('object_id' in c) err(topic, 8, 'object_id present');
    if ('default_entity_id' in c) {
      const d = String(c.default_entity_id);
      if (!/^[a-z_]+\.[a-z0-9_]+$/.test(d)) err(topic, 8, `default_entity_id ${d} malformed`);
      else if (d.split('.')[0] !== component)
        err(topic, 8, `default_entity_id domain ${d.split('.')[0]} != ${component}`);
    }
    // 9
    if (!('name' in c) || (c.name !== null && typeof c.name !== 'string'))
      err(topic, 9, 'name missing or not a string');
    else if (typeof c.name === 'string' && typeof dev?.name === 'string' && c.name.startsWith(dev.name))
      err(topic, 9, `name starts with device name ${dev.name}`);
    // 10
    if ('availability' in c && 'availability_topic' in c)
      err(topic, 10, 'both availability and availability_topic');
    if ('availability_mode' in c && !['all', 'any', 'latest'].includes(String(c.availability_mode)))
      err(topic, 10, 'bad availability_mode');
    for (const a of (c.availability as Array<Record<string, unknown>> | undefined) ?? []) {
      const t = String(a.topic);
      const msg = lastRetained.get(t);
      if (!msg) err(topic, 10, `availability topic ${t} has no retained message`);
    }
    // 11–13
    const cls = c.device_class as string | undefined;
    const unit = c.unit_of_measurement as string | undefined;
    const sc = c.state_class as string | undefined;
    if (component === 'sensor' && cls) {
      const allowed = UNITS[cls];
      if (allowed === undefined) err(topic, 11, `unknown sensor device_class ${cls}`);
      else if (allowed !== null) {
        if (allowed.length === 0 && (unit !== undefined || sc !== undefined))
          err(topic, 11, `${cls} with unit or state_class`);
        if (allowed.length > 0 && (unit === undefined || !allowed.includes(unit)))
          err(topic, 11, `unit ${String(unit)} not allowed for ${cls}`);
      }
      if (sc && STATE_CLASSES[cls] && !STATE_CLASSES[cls]!.includes(sc))
        err(topic, 13, `state_class ${sc} with ${cls}`);
      if (cls === 'enum' && (!Array.isArray(c.options) || c.options.length === 0))
        err(topic, 12, 'enum without options');
    }
    // 14
    if ('entity_category' in c) {
      if (!['config', 'diagnostic'].includes(String(c.entity_category)))
        err(topic, 14, `entity_category ${String(c.entity_category)}`);
      if ((component === 'sensor' || component === 'binary_sensor') && c.entity_category === 'config')
        err(topic, 14, 'read-only platform with config');
    }
    // 15–17
    if (
      ['number', 'select', 'switch', 'button', 'text'].includes(component) &&
      typeof c.command_topic !== 'string'
    )
      err(topic, 17, 'no command_topic');
    if (component === 'number') {
      const min = Number(c.min ?? 1);
      const max = Number(c.max ?? 100);
      const step = Number(c.step ?? 1);
      if (!(min < max)) err(topic, 15, `min ${min} >= max ${max}`);
      if (!(step > 0)) err(topic, 15, `step ${step}`);
      else if (Math.abs((max - min) / step - Math.round((max - min) / step)) > 1e-6)
        err(topic, 15, 'range not a whole number of steps');
      if (c.mode !== undefined && !['auto', 'box', 'slider'].includes(String(c.mode)))
        err(topic, 15, `mode ${String(c.mode)}`);
    }
    if (component === 'select' && (!Array.isArray(c.options) || c.options.length === 0))
      err(topic, 16, 'select without options');
    if (typeof c.command_topic === 'string') {
      for (const m of messages)
        if (m.topic === c.command_topic && m.retain)
          err(topic, 17, `command topic ${m.topic} published retained`);
    }
    // 10, 12, 15, 16, 18: every template renders for every payload on its topic, into a state HA takes
    for (const e of checkEntityStates(c, component, messages)) errors.push(`${e.rule} ${topic}: ${e.text}`);
  }
  return errors;
}

/** A template or state problem of one discovery config. */
export interface StateProblem {
  rule: string;
  text: string;
}

/**
 * Renders every template of one discovery config (availability, value, json attributes) strictly,
 * as HA's Jinja does with undefined being an error, against every payload in `messages` on the
 * topic it reads, and checks what HA would do with the result. `rendered` counts the renders.
 */
export function checkEntityStates(
  c: Config,
  component: string,
  messages: readonly Msg[],
  rendered = { count: 0 },
): StateProblem[] {
  const out: StateProblem[] = [];
  const err = (rule: number, text: string) => out.push({ rule: `[6A.${rule}]`, text });
  const payloads = (t: string) => messages.filter((m) => m.topic === t && m.payload !== '');
  for (const a of (c.availability as Array<Record<string, unknown>> | undefined) ?? []) {
    const on = (a.payload_available as string | undefined) ?? 'online';
    const off = (a.payload_not_available as string | undefined) ?? 'offline';
    for (const m of payloads(String(a.topic))) {
      rendered.count += 1;
      const r = render(a.value_template, m.payload);
      const bad =
        'error' in r
          ? `template fails: ${r.error}`
          : r.text !== on && r.text !== off
            ? `renders ${r.text}`
            : null;
      if (bad) {
        err(10, `availability ${String(a.topic)} ${bad}`);
        break;
      }
    }
  }
  for (const [tk, templKey] of [
    ['state_topic', 'value_template'],
    ['json_attributes_topic', 'json_attributes_template'],
  ] as const) {
    const t = c[tk];
    if (typeof t !== 'string') continue;
    const states = payloads(t);
    if (states.length === 0) {
      err(18, `${tk} ${t} never published`);
      continue;
    }
    for (const s of states) {
      rendered.count += 1;
      const r = render(c[templKey], s.payload);
      if ('error' in r) {
        err(18, `${templKey} fails: ${r.error}`);
        break;
      }
      const why = tk === 'state_topic' ? stateProblem(component, c, r.text) : null;
      if (why) {
        err(
          STATE_RULE[component] ?? 18,
          `state ${JSON.stringify(r.text)} from ${s.payload.slice(0, 80)}: ${why}`,
        );
        break;
      }
    }
  }
  return out;
}

/** The rule a bad state breaks, per component. */
const STATE_RULE: Record<string, number> = { number: 15, select: 16, sensor: 12 };

/**
 * Why HA would refuse or misread a rendered state, or null when it takes it. `None` is unknown for
 * every platform but `text`: HA's MQTT text keeps the string, whose pattern and length it checks.
 */
function stateProblem(component: string, c: Config, state: string): string | null {
  if (component === 'text') {
    const min = Number(c.min ?? 0);
    const max = Number(c.max ?? 255);
    if (state.length < min || state.length > max) return `length ${state.length} outside [${min}, ${max}]`;
    if (typeof c.pattern === 'string') {
      const m = new RegExp(c.pattern).exec(state);
      if (m?.index !== 0) return `does not match ${c.pattern}`;
    }
    return null;
  }
  if (state === 'None') return null;
  if (component === 'binary_sensor' || component === 'switch')
    return state === (c.payload_on ?? 'ON') || state === (c.payload_off ?? 'OFF')
      ? null
      : 'neither payload_on nor payload_off';
  if ((c.device_class === 'enum' || component === 'select') && Array.isArray(c.options))
    return c.options.includes(state) ? null : 'not in options';
  if (component === 'number') {
    const n = Number(state);
    if (state.trim() === '' || !Number.isFinite(n)) return 'not a number';
    if (n < Number(c.min ?? 1) || n > Number(c.max ?? 100))
      return `outside [${String(c.min)}, ${String(c.max)}]`;
    return null;
  }
  if (component === 'sensor') {
    if (c.device_class === 'timestamp')
      return /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(state)
        ? null
        : 'not an ISO 8601 time with offset';
    const numeric = c.unit_of_measurement !== undefined || c.state_class !== undefined;
    if (numeric && (state.trim() === '' || !Number.isFinite(Number(state)))) return 'not numeric';
  }
  return null;
}
