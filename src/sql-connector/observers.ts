import type {ObserverMixin, Options} from './juggler-types';

/*
 * Juggler's `execute` observers around each statement (juggler-contract.md 4.5): juggler mixes `observe` and
 * `notifyObserversAround` into the connector when a data source adopts it, and tools register `before execute` /
 * `after execute` observers, which may rewrite the SQL and parameters and see the driver's result.
 */

/** The connector as juggler's observer mixin leaves it. */
type Observed = Partial<ObserverMixin> & {_observers?: Record<string, unknown[]>};

/** The context the `execute` observers see: `req` may be rewritten by `before execute`, `res` is the result. */
interface ExecuteContext {
  req: {sql: string; params: readonly unknown[]};
  options: Options;
  res: unknown;
}

/**
 * Whether some `before execute` or `after execute` observer is registered on `connector`. Without one, a statement
 * skips the notification (and its promise and closures), which matters on every call.
 */
export function hasExecuteObservers(connector: object): boolean {
  const observed = connector as Observed;
  const registered = observed._observers;
  return (
    typeof observed.notifyObserversAround === 'function' &&
    !!registered &&
    ((registered['before execute']?.length ?? 0) > 0 ||
      (registered['after execute']?.length ?? 0) > 0)
  );
}

/**
 * Runs `execute` inside `notifyObserversAround('execute', {req: {sql, params}, options})` on `connector`: the
 * observers may rewrite `req` before it runs, and see `res` after. Resolves to the driver's result.
 */
export function observeExecute(
  connector: object,
  sql: string,
  params: readonly unknown[],
  options: Options,
  execute: (sql: string, params: readonly unknown[]) => Promise<unknown>,
): Promise<unknown> {
  const notify = (connector as Observed)
    .notifyObserversAround as ObserverMixin['notifyObserversAround'];
  return new Promise((resolve, reject) => {
    const context: ExecuteContext = {req: {sql, params}, options, res: undefined};
    notify.call(
      connector,
      'execute',
      context,
      (ctx, done) => {
        const c = ctx as ExecuteContext;
        execute(c.req.sql, c.req.params).then(
          (res) => {
            c.res = res;
            done(null, c);
          },
          (err: Error) => done(err),
        );
      },
      (err, ctx) =>
        err ? reject(err) : resolve((ctx as ExecuteContext | undefined)?.res ?? context.res),
    );
  });
}
