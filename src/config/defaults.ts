/** The default of each key of a flat convict-style schema (`{key: {default}}`), nulls left out. */
export function schemaDefaults(
  schema: Readonly<Record<string, { default: unknown }>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (v.default !== null) out[k] = v.default;
  return out;
}
