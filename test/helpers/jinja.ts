import nunjucks from 'nunjucks';

/**
 * Home Assistant's template rendering, strict: nunjucks configured as a Jinja-compatible engine in
 * which an undefined variable, a missing key of a JSON object, or an attribute of `None` is an
 * error (Jinja's StrictUndefined; HA logs such a template as an error at every message), JSON null
 * is Jinja's `None` and prints `None`, booleans print `True` / `False` as Python does. The
 * variables are HA's for MQTT value templates: `value` (the payload text) and `value_json`.
 */

type Runtime = {
  memberLookup: (obj: unknown, key: unknown) => unknown;
  contextOrFrameLookup: (context: unknown, frame: unknown, name: string) => unknown;
  ensureDefined: (val: unknown, lineno: number, colno: number) => unknown;
  suppressValue: (val: unknown, autoescape: boolean) => unknown;
};

// nunjucks' own runtime object: compiled templates call its functions, so patching them for the
// duration of one (synchronous) render makes that render strict without touching other renders
const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;
const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });

/** A render that failed, as Jinja would have failed it. */
export class TemplateError extends Error {}

/** What Jinja prints for a value. */
function jinjaText(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

function typeName(obj: unknown): string {
  if (obj === null || obj === undefined) return 'None';
  if (Array.isArray(obj)) return 'list object';
  return typeof obj === 'object' ? 'dict object' : `${typeof obj} object`;
}

const strict: Runtime = {
  memberLookup(obj, key) {
    if (obj === null || obj === undefined)
      throw new TemplateError(`'${typeName(obj)}' has no attribute '${String(key)}'`);
    if (typeof obj === 'object' && !Object.hasOwn(obj, String(key)))
      throw new TemplateError(`'${typeName(obj)}' has no attribute '${String(key)}'`);
    return original.memberLookup(obj, key);
  },
  contextOrFrameLookup(context, frame, name) {
    const v = original.contextOrFrameLookup(context, frame, name);
    if (v === undefined) throw new TemplateError(`'${name}' is undefined`);
    return v;
  },
  ensureDefined(val, lineno, colno) {
    if (val === undefined) throw new TemplateError(`undefined value printed at ${lineno + 1}:${colno + 1}`);
    return val;
  },
  suppressValue(val) {
    return jinjaText(val);
  },
};
const original: Runtime = {
  memberLookup: runtime.memberLookup,
  contextOrFrameLookup: runtime.contextOrFrameLookup,
  ensureDefined: runtime.ensureDefined,
  suppressValue: runtime.suppressValue,
};

/**
 * Renders an MQTT value template for one payload as HA would, stripped as HA strips it; throws a
 * TemplateError (or nunjucks' own error) where Jinja with StrictUndefined would fail.
 */
export function renderJinja(template: string, payload: string): string {
  let valueJson: unknown;
  try {
    valueJson = JSON.parse(payload);
  } catch {
    valueJson = undefined; // HA leaves value_json undefined for a payload that is not JSON
  }
  const vars: Record<string, unknown> = { value: payload, None: null, True: true, False: false };
  if (valueJson !== undefined) vars.value_json = valueJson;
  Object.assign(runtime, strict);
  try {
    return env.renderString(template, vars).trim();
  } catch (e) {
    // nunjucks wraps errors thrown inside a render in its own TemplateError: unwrap ours
    const cause = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    throw new TemplateError(`${template} for ${payload.slice(0, 120)}: ${cause}`);
  } finally {
    Object.assign(runtime, original);
  }
}
