import type {Done} from './types';

/**
 * The one place where a mysql2 callback becomes a promise: `start(arg, done)` begins the operation and calls `done`
 * once, as mysql2 calls its callbacks; the promise settles with it. `arg` is handed through instead of captured, so
 * that the statement path (`queryOn`, `runPooled`) allocates nothing beyond what a hand-written `new Promise` would:
 * the promise, its executor, and the callback that settles it.
 *
 * ```ts
 * const connection = await promised(acquireFrom, pool);
 * ```
 */
export function promised<A, T>(start: (arg: A, done: Done<T>) => void, arg: A): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    start(arg, (err, value) => (err ? reject(err) : resolve(value as T))),
  );
}
