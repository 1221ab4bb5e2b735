import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { variables } from '../../lib/config.js';

const readme = readFileSync('README.md', 'utf8');
const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts as Record<string, string>;

describe('README', () => {
  it('documents every environment variable the code reads', () => {
    const missing = Object.keys(variables).filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const named = [...readme.matchAll(/`npm (?:run )?([a-z:]+)/g)].map((m) => m[1]!).filter((s) => !['ci', 'install', 'run'].includes(s));
    const unknown = named.filter((s) => !(s in scripts) && s !== 'test' && s !== 'start');
    expect(unknown).toEqual([]);
    expect(scripts.start).toBeDefined();
    expect(scripts.test).toBeDefined();
  });
});
