import { readFileSync, writeFileSync } from 'node:fs';
import { generatedSections, replaceSection } from './tables.js';

/** `npm run docs`: regenerates the README tables from the entity catalog. */
const file = new URL('../../README.md', import.meta.url);
let doc = readFileSync(file, 'utf8');
for (const [name, body] of Object.entries(generatedSections())) doc = replaceSection(doc, name, body);
writeFileSync(file, doc);
process.stdout.write('README.md tables regenerated from the catalog\n');
