/** What the logs scenario asks the proxy: the Logs page's queries, health, the download, the data dir's size. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Proxy } from './procs.ts';

export type LogFilter = Record<string, string | number | boolean>;

/** Fields the schema may or may not have (older and newer releases): asked only when there. */
export interface Schema {
  totalCountExact: boolean;
  upgradePendingRows: boolean;
}

export async function readSchema(proxy: Proxy): Promise<Schema> {
  const fields = async (type: string) => {
    const data = await proxy.gql<{ __type: { fields: { name: string }[] } | null }>('query($t: String!) { __type(name: $t) { fields { name } } }', { t: type });
    return new Set(data.__type?.fields.map((f) => f.name) ?? []);
  };
  const [page, store] = await Promise.all([fields('LogPage'), fields('StoreHealth')]);
  return { totalCountExact: page.has('totalCountExact'), upgradePendingRows: store.has('upgradePendingRows') };
}

export interface Page {
  ids: string[];
  totalCount: number;
  /** Null when the schema does not say. */
  totalCountExact: boolean | null;
  endCursor: string | null;
  hasNextPage: boolean;
}

/** The Logs page's own query (client/src/graphql/operations.ts), 50 entries. */
export async function logsPage(proxy: Proxy, schema: Schema, filter: LogFilter, after: string | null): Promise<Page> {
  const data = await proxy.gql<{ logs: { nodes: { id: string }[]; totalCount: number; totalCountExact?: boolean; pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(
    `query($filter: LogFilter, $first: Int, $after: String) {
      logs(filter: $filter, first: $first, after: $after) {
        nodes { id timestamp method path model backendModel statusCode stream durationMs ttftMs promptTokens completionTokens totalTokens error }
        totalCount ${schema.totalCountExact ? 'totalCountExact' : ''}
        pageInfo { endCursor hasNextPage }
      }
    }`,
    { filter, first: 50, after },
  );
  const l = data.logs;
  return { ids: l.nodes.map((n) => n.id), totalCount: l.totalCount, totalCountExact: l.totalCountExact ?? null, endCursor: l.pageInfo.endCursor, hasNextPage: l.pageInfo.hasNextPage };
}

export interface LogDetail {
  id: string;
  stream: boolean;
  chunks: unknown[] | null;
  streamContent: string | null;
  requestBody: unknown;
  responseBody: unknown;
}

/** The log detail's query, every field. */
export async function logDetail(proxy: Proxy, id: string): Promise<LogDetail | null> {
  const data = await proxy.gql<{ log: LogDetail | null }>(
    `query($id: ID!) {
      log(id: $id) {
        id timestamp method path model backendModel statusCode stream durationMs ttftMs promptTokens completionTokens totalTokens error
        upstreamUrl clientIp userAgent requestHeaders requestBody responseHeaders responseBody streamContent chunks
      }
    }`,
    { id },
  );
  return data.log;
}

export interface StoreHealth {
  logRows: number | null;
  bytes: number | null;
  sizeCheckedAt: string | null;
  retentionDeleted: number;
  upgradePendingRows: number;
}

export async function storeHealth(proxy: Proxy, schema: Schema): Promise<StoreHealth> {
  const data = await proxy.gql<{ health: { store: StoreHealth } }>(
    `{ health { store { logRows bytes sizeCheckedAt retentionDeleted ${schema.upgradePendingRows ? 'upgradePendingRows' : ''} } } }`,
  );
  return { ...data.health.store, upgradePendingRows: data.health.store.upgradePendingRows ?? 0 };
}

export interface Download {
  status: number;
  bytes: number;
  lines: number;
  firstByteMs: number;
}

/** GET /export/logs with the admin token, read to the end; counts bytes and lines as they arrive. */
export async function download(proxy: Proxy, params: Record<string, string>): Promise<Download> {
  const t = performance.now();
  const res = await fetch(`${proxy.url}/export/logs?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${proxy.token}` } });
  let bytes = 0;
  let lines = 0;
  let firstByteMs = NaN;
  for await (const chunk of res.body!) {
    if (bytes === 0) firstByteMs = performance.now() - t;
    bytes += chunk.byteLength;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { status: res.status, bytes, lines, firstByteMs };
}

export interface DirSize {
  /** Every file in the directory. */
  totalBytes: number;
  /** Without the copies an upgrade leaves (`*.pre-v<N>`): the store itself. */
  storeBytes: number;
  files: Record<string, number>;
}

export function dirSize(dir: string): DirSize {
  const files: Record<string, number> = {};
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // a WAL or journal that went away meanwhile
      }
      if (st.isDirectory()) walk(path, `${prefix}${name}/`);
      else files[`${prefix}${name}`] = st.size;
    }
  };
  walk(dir, '');
  const entries = Object.entries(files);
  return {
    totalBytes: entries.reduce((n, [, b]) => n + b, 0),
    storeBytes: entries.filter(([name]) => !/\.pre-v\d+/.test(name)).reduce((n, [, b]) => n + b, 0),
    files,
  };
}
