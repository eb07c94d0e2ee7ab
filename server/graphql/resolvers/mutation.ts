import type { MutationResolvers } from '../generated.ts';

export const Mutation: MutationResolvers = {
  createConfig: (_, { input }, { configs }) => configs.create(input),
  updateConfig: (_, { id, input }, { configs }) => configs.update(id, input),
  deleteConfig: (_, { id }, { configs }) => configs.delete(id),
};
