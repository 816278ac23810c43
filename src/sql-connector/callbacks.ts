/** A node-style callback, as juggler passes them. */
export type Callback<T = unknown> = (err: Error | null | undefined, result?: T) => void;

/** A node-style callback with two results: `cb(err, data, info)`. */
export type Callback2<A, B> = (err: Error | null | undefined, a?: A, b?: B) => void;

/**
 * Settles a promise into a node-style callback. The callback runs on its own tick, outside the promise chain, so a
 * callback that throws is an uncaught exception (as with any callback API), never a rejection, and never runs twice.
 */
export function settle<T>(promise: Promise<T>, cb: Callback<T>): void {
  promise.then(
    (value) => process.nextTick(cb, null, value),
    (err: unknown) => process.nextTick(cb, toError(err)),
  );
}

/** A rejection reason as an Error: a promise may reject with anything, a callback expects an Error. */
function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return Object.assign(new Error(`Rejected with ${String(reason)}`), {reason});
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
