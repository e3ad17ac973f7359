import { describe, expect, it } from '@jest/globals';
import { renderJinja } from '../helpers/jinja.js';

describe('the strict Jinja renderer the template tests use', () => {
  it('prints JSON null as None and booleans as True / False, as Home Assistant does', () => {
    expect(renderJinja('{{ value_json.failsafe }}', '{"failsafe":null}')).toBe('None');
    expect(renderJinja('{{ value_json.enabled }}', '{"enabled":true}')).toBe('True');
    expect(renderJinja("{{ 'ON' if value_json.enabled else 'OFF' }}", '{"enabled":false}')).toBe('OFF');
    expect(renderJinja('{{ value_json.a if value_json.a else None }}', '{"a":0}')).toBe('None');
    expect(renderJinja('{{ value }}', 'raw')).toBe('raw');
  });

  it('fails on an attribute of None, a missing key and an undefined name', () => {
    expect(() => renderJinja('{{ value_json.policy.deadline }}', '{"policy":null}')).toThrow(
      "'None' has no attribute 'deadline'",
    );
    expect(() => renderJinja('{{ value_json.missing }}', '{"a":1}')).toThrow(
      "'dict object' has no attribute 'missing'",
    );
    expect(() => renderJinja("{{ 'ON' if value_json.nope else 'OFF' }}", '{}')).toThrow('nope');
    expect(() => renderJinja('{{ nothing }}', '{}')).toThrow("'nothing' is undefined");
    expect(() => renderJinja('{{ value_json.x }}', 'not json')).toThrow("'value_json' is undefined");
  });

  it('leaves nunjucks lenient again after a render', async () => {
    const nunjucks = (await import('nunjucks')).default;
    expect(() => renderJinja('{{ value_json.a.b }}', '{"a":null}')).toThrow();
    expect(nunjucks.renderString('{{ a.b }}', { a: null })).toBe('');
  });
});
