import { importConfigs } from '../../configs/transfer.ts';
import { deleteLogs } from '../../logs/delete.ts';
import type { MutationResolvers } from '../generated.ts';

export const Mutation: MutationResolvers = {
  createConfig: (_, { input }, { configs }) => configs.create(input),
  updateConfig: (_, { id, input }, { configs }) => configs.update(id, input),
  deleteConfig: (_, { id }, { configs }) => configs.delete(id),
  importConfigs: (_, { document, replace }, { store, configs }) => importConfigs({ store, configs }, document, { replace }),
  deleteLogs: (_, { filter }, { store }) => deleteLogs(store, filter),
};
