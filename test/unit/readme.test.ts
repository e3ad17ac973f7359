import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { chargerEntityTable, generatedSections, replaceSection } from '../../src/docs/tables.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('carries the entity tables as generated from the catalog (run npm run docs after a catalog change)', () => {
    let regenerated = readme;
    for (const [name, body] of Object.entries(generatedSections()))
      regenerated = replaceSection(regenerated, name, body);
    expect(regenerated).toBe(readme);
  });

  it('lists which chargers have each key, from their capabilities', () => {
    const table = chargerEntityTable();
    expect(table).toMatch(/\| `auto_charge` \| boolean \| yes \| TechnoVE \|/);
    expect(table).toMatch(/\| `current_l1` \| number, A \| {2}\| pulsatrix, OCPP \|/);
    expect(table).toMatch(/\| `phases` \| enum \| yes \(pulsatrix\) \| OpenEVSE, pulsatrix \|/);
    expect(table).toMatch(/\| `state_of_charge` \| number, % \| {2}\| OpenEVSE, Quasar, OCPP \|/);
  });

  it('gives the two commands and the test command', () => {
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
