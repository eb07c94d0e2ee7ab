/**
 * Schema versions, shared by both stores: a database records the last step applied (SQLite in
 * `PRAGMA user_version`, MongoDB in the `meta` collection's `schema` document), and opening it applies
 * the steps after that one, in order. Version 0 is a database from before versions were kept (0.1.0,
 * or a new empty one); step 1 is the 0.1.0 schema, written so that a 0.1.0 database passes through it
 * unchanged. The steps themselves are in sqlite-migrations.ts and mongo-migrations.ts; each store's
 * list ends at SCHEMA_VERSION (a step one store does not need is an explicit no-op on it).
 */

/** The schema version this code writes and reads. 0.1.0 had none (0); 1 is its schema stamped; 2 logs at scale; 3 client keys; 4 cost and key rollups; 5 model groups. */
export const SCHEMA_VERSION = 5;

export interface MigrationStep<Target> {
  version: number;
  /** What it does, for messages: "add logs.note". */
  name: string;
  run(target: Target): void | Promise<void>;
}

export interface MigrateOptions {
  /** Progress for the operator (main.ts prints it): backups made, versions reached. */
  report?: (message: string) => void;
}

/** A database this code must not open, or a step that failed: shown as it is, one line. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}

/** The version the steps lead to; steps must be numbered 1, 2, 3… in order. */
export function targetVersion(steps: readonly MigrationStep<unknown>[]): number {
  steps.forEach((s, i) => {
    if (s.version !== i + 1) throw new Error(`migration steps must be numbered 1, 2, 3…; step ${i + 1} says ${s.version}`);
  });
  return steps.length;
}

export interface Plan<Target> {
  from: number;
  to: number;
  pending: MigrationStep<Target>[];
}

/**
 * The steps to apply to a database at version `current`. A database from a newer release is
 * refused: this code would not know its columns, and writing to it could lose what it does not know.
 */
export function planMigration<Target>(opts: {
  steps: readonly MigrationStep<Target>[];
  current: number;
  /** "SQLite database /data/lite-proxy.sqlite", "MongoDB database lite_proxy". */
  what: string;
  /** How to get back a database this release can open. */
  restore: string;
}): Plan<Target> {
  const to = targetVersion(opts.steps);
  if (opts.current > to) {
    throw new SchemaError(
      `${opts.what} has schema version ${opts.current}, but this Lite Proxy knows versions up to ${to}: a newer release `
        + `has upgraded it. Run that release (or a later one), or ${opts.restore}.`,
    );
  }
  return { from: opts.current, to, pending: opts.steps.filter((s) => s.version > opts.current) };
}

/** The error for a step that threw, naming the step, the version the database stays at and the way back. */
export function stepFailed(opts: { store: string; step: MigrationStep<unknown>; cause: unknown; after: string }): SchemaError {
  const reason = (opts.cause instanceof Error ? opts.cause.message : String(opts.cause)).split('\n')[0];
  return new SchemaError(`${opts.store} schema step ${opts.step.version} (${opts.step.name}) failed: ${reason}. ${opts.after}`);
}
