import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const here = dirname(fileURLToPath(import.meta.url));

describe('generated client', () => {
  // The drift check CI runs. In a child process: inside jest's module registry optional peers
  // (terminus's swagger decorators) load differently and the documents come out different.
  it('matches the OpenAPI documents the services build', () => {
    const run = spawnSync(process.execPath, [join(here, '..', 'scripts', 'generate.mjs'), '--check'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  }, 60_000);
});
