import type { Resolvers } from '../generated.ts';
import { Mutation } from './mutation.ts';
import { Query } from './query.ts';
import { Subscription } from './subscription.ts';
import { ApiKey, Health, KeyStats, LogEntry, ProxyConfig, scalars } from './types.ts';

export const resolvers: Resolvers = { ...scalars, Query, Mutation, Subscription, ApiKey, KeyStats, ProxyConfig, LogEntry, Health };
