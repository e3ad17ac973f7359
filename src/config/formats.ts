/** Small validators used as convict formats: each throws an Error whose message is the reason. */

export type Format = (value: unknown) => void;

/** A finite number within [min, max]; `integer` rejects fractions. */
export function num(min: number, max: number, opts: { integer?: boolean; optional?: boolean } = {}): Format {
  return (v) => {
    if (v === null || v === undefined) {
      if (opts.optional) return;
      throw new Error('is required');
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`must be a number, got ${show(v)}`);
    if (opts.integer && !Number.isInteger(v)) throw new Error(`must be a whole number, got ${v}`);
    if (v < min) throw new Error(`must be >= ${min}, got ${v}`);
    if (v > max) throw new Error(`must be <= ${max}, got ${v}`);
  };
}

/** A string (non-empty unless `allowEmpty`), optionally matching `re` (described by `what`). */
export function str(
  opts: { optional?: boolean; re?: RegExp; what?: string; allowEmpty?: boolean } = {},
): Format {
  return (v) => {
    if (v === null || v === undefined) {
      if (opts.optional) return;
      throw new Error('is required');
    }
    if (typeof v !== 'string') throw new Error(`must be a string, got ${show(v)}`);
    if (!opts.allowEmpty && v.length === 0) throw new Error('must not be empty');
    if (opts.re && !opts.re.test(v))
      throw new Error(`must be ${opts.what ?? `like ${opts.re}`}, got ${show(v)}`);
  };
}

/** One of a fixed list of values. */
export function oneOf(values: readonly unknown[], opts: { optional?: boolean } = {}): Format {
  return (v) => {
    if ((v === null || v === undefined) && opts.optional) return;
    if (!values.includes(v))
      throw new Error(`must be one of ${values.map((x) => String(x)).join(', ')}, got ${show(v)}`);
  };
}

/** true or false. */
export const bool: Format = (v) => {
  if (typeof v !== 'boolean') throw new Error(`must be true or false, got ${show(v)}`);
};

/** A plain object, or null when `optional`. */
export function obj(opts: { optional?: boolean } = {}): Format {
  return (v) => {
    if ((v === null || v === undefined) && opts.optional) return;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(`must be a mapping, got ${show(v)}`);
  };
}

/** An array (of anything; items are checked elsewhere). */
export const list: Format = (v) => {
  if (!Array.isArray(v)) throw new Error(`must be a list, got ${show(v)}`);
};

/** "HH:MM", 00:00–23:59. */
export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** How a value is quoted in an error message. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
