import { exportConfigs } from '../../configs/transfer.ts';
import { InputError } from '../../errors.ts';
import { decodeCursor, encodeCursor, LOG_COUNT_CAP, validateFilter } from '../../logs/filter.ts';
import { computeStats, statsWindow } from '../../stats/stats.ts';
import type { QueryResolvers } from '../generated.ts';
import { keysOf } from './types.ts';

const MAX_PAGE = 500;

export const Query: QueryResolvers = {
  apiKeys: (_, __, ctx) => keysOf(ctx).list(),
  apiKey: (_, { id }, ctx) => keysOf(ctx).get(id),
  configs: (_, __, { configs }) => configs.list(),
  config: (_, { id }, { configs }) => configs.get(id),
  exportConfigs: (_, { withKeys }, { configs }) => exportConfigs(configs, { withKeys }),
  modelGroups: (_, __, { configs }) => configs.groups(),
  modelGroup: async (_, { name }, { configs }) => (await configs.groups()).find((g) => g.name === name) ?? null,
  logs: async (_, { filter, first, after }, { store }) => {
    const limit = first ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InputError(`first must be between 1 and ${MAX_PAGE}`, 'first');
    const f = validateFilter(filter);
    const cursor = after ? decodeCursor(after) : null;
    // A first page counts (up to the cap); every later page carries that count in its cursor.
    const counted = cursor?.total ? Promise.resolve(cursor.total) : store.countLogsUpTo(f, LOG_COUNT_CAP);
    // One row more than asked tells whether another page exists.
    const [rows, total] = await Promise.all([store.queryLogs({ filter: f, limit: limit + 1, after: cursor }), counted]);
    const nodes = rows.slice(0, limit);
    const last = nodes.at(-1);
    return {
      nodes,
      totalCount: total.count,
      totalCountExact: total.exact,
      pageInfo: { endCursor: last ? encodeCursor({ timestamp: last.timestamp, id: last.id, total }) : null, hasNextPage: rows.length > limit },
    };
  },
  log: (_, { id }, { store }) => store.getLog(id),
  health: (_, __, { health }) => health(),
  stats: async (_, { from, to, bucket }, { store }) => {
    const window = statsWindow(from, to, bucket ?? 'MINUTE');
    const [rows, keyRows] = await Promise.all([
      store.readRollups({ size: window.rollupSize, from: window.from, to: window.to }),
      store.readRollups({ size: window.rollupSize, from: window.from, to: window.to, byKey: true }),
    ]);
    return computeStats(window, rows, keyRows);
  },
};
