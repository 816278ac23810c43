import type {Callback} from './callbacks';
import {InvalidTransactionError} from './errors';
import type {Options} from './juggler-types';

/*
 * What the connector reads from the `options` of juggler's calls: the transaction a call runs in, and where a read
 * may go.
 */

/** A transaction in `options` must be one of `connector`'s, and still active (juggler-contract.md 4.4). */
export function checkTransaction(connector: object, options: Options | undefined): void {
  const tx = options?.transaction;
  if (tx === undefined || tx === null) return;
  if (typeof tx !== 'object')
    throw new InvalidTransactionError('options.transaction is not a transaction');
  if (tx.connector !== connector) {
    throw new InvalidTransactionError(
      'options.transaction belongs to another connector or data source',
    );
  }
  if (!tx.connection)
    throw new InvalidTransactionError(
      'options.transaction has already been committed or rolled back',
    );
}

/** The options of a read that belongs to a write: it must see the primary, never a lagging replica. */
export function primary(options: Options): Options {
  return {...options, readFrom: 'primary'};
}

/**
 * The arguments of `execute(sql, params?, options?, cb?)`: trailing undefined ones dropped, and the last one taken as
 * the callback when it is a function.
 */
export function executeArgs(
  params: unknown,
  options: unknown,
  callback: unknown,
): {params: unknown; options: unknown; cb: Callback<unknown> | undefined} {
  const args = [params, options, callback];
  let cb: Callback<unknown> | undefined;
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  if (typeof args[args.length - 1] === 'function') cb = args.pop() as Callback<unknown>;
  return {params: args[0], options: args[1], cb};
}
