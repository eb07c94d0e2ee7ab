/** The logs scenario's figures as table rows (figure, value, target, met), and what counts as broken. */
import type { DirSize } from './logs-api.ts';
import type { FilterResult, LogsResult } from './logs-scenario.ts';
import type { ProbeStats } from './probe.ts';

export interface Row { figure: string; value: string; target: string; met: boolean | null }

/** Within ~5 ms of idle: the proxied p99 during an admin action against the idle p99. */
export const STALL_MS = 5;
const PAGE_MS = 100;
const LOG_BY_ID_MS = 10;

const ms = (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : '–');
const s = (n: number) => (n < 1000 ? ms(n) : `${(n / 1000).toFixed(1)} s`);
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const count = (n: number) => n.toLocaleString('en-US');

function proxied(figure: string, during: ProbeStats, idle: ProbeStats): Row {
  return {
    figure: `${figure}: proxied p99 / worst (idle p50 / p99)`,
    value: `${ms(during.p99Ms)} / ${ms(during.maxMs)} (${ms(idle.p50Ms)} / ${ms(idle.p99Ms)}), ${during.count} requests`,
    target: `p99 ≤ idle p99 + ${STALL_MS} ms`,
    met: during.count > 0 ? during.p99Ms <= idle.p99Ms + STALL_MS : null,
  };
}

/** The same cost as the first page: within the page target, and at most twice it plus 10 ms of noise. */
const sameCost = (first: number, other: number) => other <= PAGE_MS && other <= first * 2 + 10;

function filterRows(f: FilterResult): Row[] {
  const figure = `Logs page, ${f.name}`;
  const matched = `${count(f.totalCount)}${f.totalCountExact === false ? '+' : ''} matched`;
  const pages = [...f.olderMs, ...(f.newerMs === null ? [] : [f.newerMs])];
  return [
    {
      figure: `${figure}: first page warm / Older / Newer`,
      value: f.error ? `failed: ${f.error}` : `${ms(f.firstPageMs)} / ${f.olderMs.map(ms).join(', ') || '–'} / ${f.newerMs === null ? '–' : ms(f.newerMs)} (first run ${ms(f.firstRunMs)}); ${matched}`,
      target: `≤ ${PAGE_MS} ms; Older, Newer ≈ first`,
      met: f.error ? false : f.firstPageMs <= PAGE_MS && pages.every((p) => sameCost(f.firstPageMs, p)),
    },
    proxied(figure, f.probe, f.idle),
  ];
}

function sizes(figure: string, before: DirSize, ...after: [string, DirSize][]): Row {
  const last = after.at(-1)![1];
  return {
    figure: `${figure}: store files ${['before', ...after.map(([label]) => label)].join(' → ')}`,
    value: `${[before, ...after.map(([, d]) => d)].map((d) => mb(d.storeBytes)).join(' → ')} (data dir with the pre-upgrade copy: ${mb(last.totalBytes)})`,
    target: 'smaller',
    met: last.storeBytes < before.storeBytes,
  };
}

export function logsRows(r: LogsResult): Row[] {
  const m = r.migration;
  const d = r.download;
  const del = r.deleteLogs;
  const ret = r.retention;
  const pct = (n: number) => `${((n / r.entries) * 100).toFixed(1)} %`;
  const stream = r.logById.find((l) => l.kind === 'stream');
  const plain = r.logById.find((l) => l.kind === 'plain');
  return [
    {
      figure: `logs: ${count(r.entries)} entries written by ${r.fill.release}`,
      value: `${mb(r.fill.bytes)}, ${pct(r.fill.streams)} streams over ${r.fill.spanHours} h; ${r.fill.cached ? 'cached, filled' : 'filled'} in ${r.fill.fillSeconds.toFixed(1)} s`,
      target: '', met: null,
    },
    { figure: 'logs: upgrade, start-up (spawn until /health answers 200)', value: s(m.startupMs), target: '', met: null },
    {
      figure: 'logs: upgrade, background (spawn until upgradePendingRows = 0)',
      value: `${s(m.totalMs)}${m.upgradePendingRowsInSchema ? `; ${count(m.pendingAtStart)} pending at the first /health` : '; not in the schema'}`,
      target: 'reaches 0', met: m.reachedZero,
    },
    proxied('logs: during the upgrade', m.probe, m.idle),
    ...r.filters.flatMap(filterRows),
    {
      figure: 'logs: log(id), streamed entry with chunks / plain (median of 4 after the first)',
      value: `${stream ? ms(stream.medianMs) : '–'} / ${plain ? ms(plain.medianMs) : '–'} (first ${stream ? ms(stream.firstMs) : '–'} / ${plain ? ms(plain.firstMs) : '–'})`,
      target: `≤ ${LOG_BY_ID_MS} ms`,
      met: r.logById.length > 0 && r.logById.every((l) => l.complete && l.medianMs <= LOG_BY_ID_MS),
    },
    {
      figure: 'logs: JSONL download of one hour',
      value: `${count(d.lines)} entries, ${mb(d.bytes)} in ${s(d.ms)} (${d.mbPerSecond.toFixed(1)} MB/s), first byte ${ms(d.firstByteMs)}`,
      target: `${count(d.expected)} lines`, met: d.status === 200 && d.lines === d.expected,
    },
    proxied('logs: during the download', d.probe, d.idle),
    { figure: 'logs: deleteLogs of the oldest 29 minutes', value: `${count(del.deleted)} entries (${pct(del.deleted)}) in ${s(del.ms)}`, target: '', met: null },
    proxied('logs: during deleteLogs', del.probe, del.idle),
    sizes('logs: deleteLogs', del.before, ['after', del.after]),
    {
      figure: 'logs: retention sweep (LOG_RETENTION_DAYS=1, /health 200 until deleted)',
      value: `${count(ret.deleted)} entries (${pct(ret.deleted)}) in ${s(ret.ms)}; start-up ${s(ret.startupMs)}; logRows after: ${ret.logRowsAfter === null ? '–' : count(ret.logRowsAfter)}`,
      target: '', met: null,
    },
    proxied('logs: during the retention sweep', ret.probe, ret.idle),
    proxied(`logs: ${Math.round(ret.afterWait.waitedMs / 1000)} s after the sweep`, ret.afterWait.probe, ret.idle),
    sizes('logs: retention', ret.before, ['after the sweep', ret.afterSweep], [`${Math.round(ret.afterWait.waitedMs / 1000)} s later`, ret.afterWait], ['stopped', ret.atRest]),
    { figure: 'logs: proxied requests that failed', value: `${r.probeTotal.failed} of ${count(r.probeTotal.sent)}`, target: '0', met: r.probeTotal.failed === 0 },
  ];
}

/** Breakage, never timing: what fails a quick run (and the smoke test). */
export function logsBroken(r: LogsResult): string[] {
  const broken: string[] = [];
  if (r.probeTotal.failed > 0) broken.push(`logs: ${r.probeTotal.failed} of ${r.probeTotal.sent} proxied requests failed`);
  if (!r.migration.reachedZero) broken.push('logs: upgradePendingRows did not reach 0');
  for (const f of r.filters) {
    if (f.error) broken.push(`logs: the filter ${f.name} failed: ${f.error}`);
    else if (f.expected !== null && f.totalCountExact !== false && f.totalCount !== f.expected) {
      broken.push(`logs: the filter ${f.name} matched ${f.totalCount}, the fill holds ${f.expected}`);
    }
  }
  for (const l of r.logById) if (!l.complete) broken.push(`logs: log(${l.id}) (${l.kind}) came back incomplete`);
  if (r.download.status !== 200 || r.download.lines !== r.download.expected) {
    broken.push(`logs: the download answered ${r.download.status} with ${r.download.lines} lines, the hour holds ${r.download.expected} entries`);
  }
  if (r.deleteLogs.deleted !== r.deleteLogs.expected) broken.push(`logs: deleteLogs deleted ${r.deleteLogs.deleted}, the window holds ${r.deleteLogs.expected}`);
  if (r.retention.deleted < r.retention.expectedAtLeast) broken.push(`logs: retention deleted ${r.retention.deleted}, at least ${r.retention.expectedAtLeast} were older than a day`);
  return broken;
}
