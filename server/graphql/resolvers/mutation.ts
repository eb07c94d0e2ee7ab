import { importConfigs } from '../../configs/transfer.ts';
import { deleteLogs } from '../../logs/delete.ts';
import type { MutationResolvers } from '../generated.ts';
import { keysOf } from './types.ts';

export const Mutation: MutationResolvers = {
  createApiKey: (_, { input }, ctx) => keysOf(ctx).create(input),
  updateApiKey: (_, { id, input }, ctx) => keysOf(ctx).update(id, input),
  revokeApiKey: (_, { id }, ctx) => keysOf(ctx).revoke(id),
  createConfig: (_, { input }, { configs }) => configs.create(input),
  updateConfig: (_, { id, input }, { configs }) => configs.update(id, input),
  deleteConfig: (_, { id }, { configs }) => configs.delete(id),
  updateModelGroup: (_, { name, input }, { configs }) => configs.updateGroup(name, input),
  importConfigs: (_, { document, replace }, { store, configs }) => importConfigs({ store, configs }, document, { replace }),
  deleteLogs: (_, { filter }, { store }) => deleteLogs(store, filter),
};
