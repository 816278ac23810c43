import {callbackify} from 'node:util';

/** A node-style callback, as juggler passes them. */
export type Callback<T = unknown> = (err: Error | null | undefined, result?: T) => void;

/** A node-style callback with two results: `cb(err, data, info)`. */
export type Callback2<A, B> = (err: Error | null | undefined, a?: A, b?: B) => void;

/**
 * Settles a promise into a node-style callback. The callback runs on a later tick (through `util.callbackify`), so a
 * callback that throws never re-enters the promise chain and is never called twice.
 */
export function settle<T>(promise: Promise<T>, cb: Callback<T>): void {
  callbackify(() => promise)(cb);
}

/** Like {@link settle} for results of the form `[a, b]`, delivered as `cb(err, a, b)`. */
export function settleSpread<A, B>(promise: Promise<readonly [A, B]>, cb: Callback2<A, B>): void {
  settle(promise, (err, result) => {
    if (err || !result) cb(err);
    else cb(null, result[0], result[1]);
  });
}

/**
 * The dual API of public methods: with a callback, settle into it and return undefined; without one, return the
 * promise. Juggler always passes a callback; direct users get promises.
 */
export function settleOrReturn<T>(
  promise: Promise<T>,
  cb: Callback<T> | undefined,
): Promise<T> | undefined {
  if (typeof cb !== 'function') return promise;
  settle(promise, cb);
  return undefined;
}

/** Like {@link settleOrReturn} for results delivered as `cb(err, a, b)`; the promise resolves to `[a, b]`. */
export function settleSpreadOrReturn<A, B>(
  promise: Promise<readonly [A, B]>,
  cb: Callback2<A, B> | undefined,
): Promise<readonly [A, B]> | undefined {
  if (typeof cb !== 'function') return promise;
  settleSpread(promise, cb);
  return undefined;
}
