import { join } from 'node:path';
import type { Settings } from '../settings.ts';
import { MongoStore } from './mongo.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export const SQLITE_FILE = 'lite-proxy.sqlite';

/** MongoDB when MONGODB_URI is set, else the embedded SQLite file in DATA_DIR. */
export function createStore(settings: Pick<Settings, 'mongodbUri' | 'databaseName' | 'dataDir'>): Store {
  if (settings.mongodbUri) return new MongoStore(settings.mongodbUri, settings.databaseName);
  return new SqliteStore(join(settings.dataDir, SQLITE_FILE));
}

/** "mongodb://db.internal:27017/…" without credentials, for the start-up message. */
export function describeStore(settings: Pick<Settings, 'mongodbUri' | 'databaseName' | 'dataDir'>): string {
  if (!settings.mongodbUri) return `SQLite at ${join(settings.dataDir, SQLITE_FILE)}`;
  const hosts = settings.mongodbUri.replace(/^mongodb(\+srv)?:\/\//, '').replace(/^[^@/]*@/, '').split(/[/?]/)[0];
  return `MongoDB at ${hosts}, database ${settings.databaseName}`;
}
