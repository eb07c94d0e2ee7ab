/**
 * The benchmark's logs scenario, small, as a test: a store of 3,000 entries written by 0.1.0's own
 * code (checked out from git and installed from its lockfile), upgraded by `bun run server`, then
 * the Logs page's filters, log(id), a download, deleteLogs and a retention sweep, with a proxied
 * request every 10 ms throughout. It fails only on breakage, never on timing.
 */
import { expect, test } from 'bun:test';
import { runBench } from './helpers/bench-run.ts';

test('bun run bench --quick --only=logs finds nothing broken', async () => {
  const { out, code } = await runBench(['--quick', '--only=logs', '--logs-entries=3000']);
  expect(code).toBe(0);
  expect(out).toContain('logs: upgrade, background (spawn until upgradePendingRows = 0)');
  expect(out).toMatch(/upgradePendingRows = 0\): [^\n]*\(target reaches 0: met\)/);
  expect(out).toMatch(/logs: proxied requests that failed: 0 of [\d,]+/);
  // Every filter answered a page (a failed one says "failed: …").
  expect(out.match(/^ {2}Logs page, [^\n]*: first page warm \/ Older \/ Newer: \d/gm)?.length).toBe(8);
  // The download's lines are the entries of its hour.
  expect(out).toMatch(/logs: JSONL download of one hour: ([\d,]+) entries[^\n]*\(target \1 lines: met\)/);
}, 120_000);
