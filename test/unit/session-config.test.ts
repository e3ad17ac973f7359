/** tariff.feed_in_price: the price of a session's solar energy (docs/sessions.md). */
import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';

const tariff = (extra: Record<string, unknown>) =>
  validateConfig({ tariff: { currency: 'EUR', zones: [], default_price: 0.25, ...extra } }, {});

describe('tariff.feed_in_price', () => {
  it('defaults to 0', () => {
    expect(tariff({}).config?.tariff?.feed_in_price).toBe(0);
  });

  it('takes a price per kWh', () => {
    expect(tariff({ feed_in_price: 0.08 }).config?.tariff?.feed_in_price).toBe(0.08);
  });

  it('rejects a value that is not a number, naming the key', () => {
    const r = tariff({ feed_in_price: 'eight cents' });
    expect(r.config).toBeUndefined();
    expect(r.problems).toContainEqual({
      path: 'tariff.feed_in_price',
      reason: expect.stringContaining('must be a number'),
    });
  });
});
