import { join } from 'node:path';
import type { Settings } from '../settings.ts';
import type { SecretBox } from './secret-box.ts';
import { sealedStore } from './sealed.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export const SQLITE_FILE = 'lite-proxy.sqlite';

/**
 * MongoDB when MONGODB_URI is set, else the embedded SQLite file in DATA_DIR. The MongoDB driver is
 * imported only when used: loading it costs ~40 MB of memory. With `box`, backend keys are sealed
 * at rest (sealed.ts): main.ts and the CLI always give one.
 */
export async function createStore(settings: Pick<Settings, 'mongodbUri' | 'databaseName' | 'dataDir'>, box?: SecretBox, opts: { sealPlaintext?: boolean } = {}): Promise<Store> {
  let store: Store;
  if (settings.mongodbUri) {
    const { MongoStore } = await import('./mongo.ts');
    store = new MongoStore(settings.mongodbUri, settings.databaseName);
  } else store = new SqliteStore(join(settings.dataDir, SQLITE_FILE));
  return box ? sealedStore(store, box, opts) : store;
}

/** "mongodb://db.internal:27017/…" without credentials, for the start-up message. */
export function describeStore(settings: Pick<Settings, 'mongodbUri' | 'databaseName' | 'dataDir'>): string {
  if (!settings.mongodbUri) return `SQLite at ${join(settings.dataDir, SQLITE_FILE)}`;
  const hosts = settings.mongodbUri.replace(/^mongodb(\+srv)?:\/\//, '').replace(/^[^@/]*@/, '').split(/[/?]/)[0];
  return `MongoDB at ${hosts}, database ${settings.databaseName}`;
}
