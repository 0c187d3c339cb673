import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { bootService, type BootedService } from '@stagehook/testing';
import { formatReport, runFidelity } from './fidelity/fidelity.js';
import * as platform from '@stagehook/platform';
import { itemsService } from './support.js';

// `npm run fidelity` runs this file alone and shows its table (written to stdout, which jest
// leaves alone); the last line is one JSON object.
describe("V7's own Darwin JSON 2.0 exports (darwin-py e2e_tests/data/import)", () => {
  let s: BootedService<NestExpressApplication>;

  beforeAll(async () => {
    s = await bootService(platform, itemsService);
  });

  afterAll(async () => {
    await s.close();
  });

  it('imports every document and exports every annotation and item property equal in meaning', async () => {
    const report = await runFidelity((method, path, body) => s.call(method, path, body));
    process.stdout.write(`${formatReport(report)}\n`);
    expect(report.sets.flatMap((x) => x.problems)).toEqual([]);
    expect(report.totals.documentsFaithful).toBe(report.totals.documents);
    expect(report.totals.percentEqual).toBe(100);
  });
});
