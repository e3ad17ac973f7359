/** Ids derived from the base topic (docs/mqtt-api.md): two bridges with different bases never share one. */

/** `<instance>` for Home Assistant ids: base lower-cased, every char outside [a-z0-9] → `_`. */
export function haInstance(base: string): string {
  return base.toLowerCase().replace(/[^a-z0-9]/g, '_');
}

/** `<instance>` for Homie ids: base lower-cased, every char outside [a-z0-9] → `-`, no edge hyphens. */
export function homieInstance(base: string): string {
  return base
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/-{2,}/g, '-');
}

/** snake_case key → kebab-case Homie property id. */
export function homieProperty(key: string): string {
  return key.replace(/_/g, '-');
}

/** Product facts used in discovery and bridge/info. */
export const PRODUCT = {
  name: 'evse2mqtt',
};
