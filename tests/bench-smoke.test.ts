/**
 * The benchmark's quick mode as a test: it starts the mock and `bun run server` as separate
 * processes and fails only on breakage (events lost or merged, a cancel that does not reach the
 * backend, log rows missing, failed requests), never on timing.
 */
import { expect, test } from 'bun:test';
import { runBench } from './helpers/bench-run.ts';

test('bun run bench --quick finds nothing broken', async () => {
  const { out, code } = await runBench(['--quick']);
  expect(code).toBe(0);
  expect(out).toContain('streams with every event delivered: 10 of 10');
  expect(out).toContain('cancels that reached the backend: 5 of 5');
  expect(out).toMatch(/log rows = requests sent \(SQLite\): (\d+) \/ \1/);
}, 120_000);
