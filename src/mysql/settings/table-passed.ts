import {DEFAULT_MAX_PREPARED_STATEMENTS} from '../prepared';
import type {SettingGroup} from './types';

// Rows of the settings table (table.ts): the settings that are mysql2's or juggler's.

/** mysql2 pool options also accepted at the top level, passed to mysql2 as they are. */
export const DRIVER_SETTINGS = {
  decimalNumbers: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {default: '`false`', meaning: 'DECIMAL values as numbers instead of strings.'},
  },
  jsonStrings: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {default: '`false`', meaning: 'JSON values as their text instead of parsed.'},
  },
  waitForConnections: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {
      default: '`true`',
      meaning:
        'With every connection busy, calls wait (see `queueLimit`) instead of failing at once.',
    },
  },
  maxIdle: {
    type: ['number'],
    to: 'mysql2',
    query: 'number',
    readme: {default: '`connectionLimit`', meaning: 'Most idle connections kept open.'},
  },
  idleTimeout: {
    type: ['number'],
    to: 'mysql2',
    query: 'number',
    readme: {
      unit: 'ms',
      default: '`60000`',
      meaning: 'How long an idle connection beyond `maxIdle` stays open.',
    },
  },
  enableKeepAlive: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {default: '`true`', meaning: 'TCP keep-alive on the connections.'},
  },
  keepAliveInitialDelay: {
    type: ['number'],
    to: 'mysql2',
    query: 'number',
    readme: {
      unit: 'ms',
      default: '`0`',
      meaning: 'How long a connection is idle before the first keep-alive probe.',
    },
  },
  localAddress: {
    type: ['string'],
    to: 'mysql2',
    readme: {meaning: 'The local address to connect from.'},
  },
  insecureAuth: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {default: '`false`', meaning: 'Allow the old (pre-4.1) authentication method.'},
  },
  authPlugins: {
    type: ['object'],
    to: 'mysql2',
    readme: {meaning: 'Authentication plugins by name, for servers that ask for other methods.'},
  },
  maxPreparedStatements: {
    type: ['number'],
    to: 'mysql2',
    query: 'number',
    default: DEFAULT_MAX_PREPARED_STATEMENTS,
    readme: {
      meaning:
        "Most prepared statements a connection keeps (`preparedStatements`); mysql2's default is 16000.",
    },
  },
  connectAttributes: {
    type: ['object'],
    to: 'mysql2',
    readme: {meaning: "Connection attributes sent to the server, besides mysql2's."},
  },
  compress: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {default: '`false`', meaning: 'Use the compressed protocol.'},
  },
  resetOnRelease: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {
      default: '`false`',
      meaning: 'Reset the session state when a connection goes back to the pool.',
    },
  },
} as const satisfies SettingGroup;

/** Juggler's own keys (LoopBack 3 and 4): they belong in the data source settings; the connector ignores them. */
export const JUGGLER_SETTINGS = {
  name: {type: ['string'], to: 'juggler', readme: {meaning: 'The data source name.'}},
  connector: {
    type: ['string', 'object', 'function'],
    to: 'juggler',
    readme: {
      type: 'string or module',
      meaning:
        "The connector: `'mysql-ts'` (juggler loads `loopback-connector-mysql-ts`), or this package itself.",
    },
  },
  adapter: {
    type: ['string', 'object', 'function'],
    to: 'juggler',
    readme: {type: 'string or module', meaning: "JugglingDB's old name of `connector`."},
  },
  catchFailure: {
    type: ['boolean'],
    to: 'juggler',
    readme: {
      meaning: 'Emit a connection failure in `initialize` as an `error` event caught and logged.',
    },
  },
  connectionTimeout: {
    type: ['number'],
    to: 'juggler',
    readme: {
      unit: 'ms',
      default: '`5000`',
      meaning: 'How long a call waits for the data source to connect before it fails.',
    },
  },
  maxOfflineRequests: {
    type: ['number'],
    to: 'juggler',
    readme: {default: '`16`', meaning: 'Most calls queued while the data source connects.'},
  },
  inqLimit: {
    type: ['number'],
    to: 'juggler',
    readme: {
      default: '`256`',
      meaning: 'Most ids in one `inq` of an inclusion before it is split.',
    },
  },
  allowExtendedOperators: {
    type: ['boolean'],
    to: 'juggler',
    readme: {
      default: '`false`',
      meaning: 'Allow operators (`$set`...) and extended operators in queries and data.',
    },
  },
  maxDepthOfQuery: {
    type: ['number'],
    to: 'juggler',
    readme: {meaning: 'The deepest a `where` may nest.'},
  },
  maxDepthOfData: {
    type: ['number'],
    to: 'juggler',
    readme: {meaning: 'The deepest model data may nest.'},
  },
  normalizeUndefinedInQuery: {
    type: ['string'],
    values: ['nullify', 'throw', 'ignore'],
    to: 'juggler',
    readme: {meaning: 'What an `undefined` in a `where` becomes.'},
  },
  prohibitHiddenPropertiesInQuery: {
    type: ['boolean'],
    to: 'juggler',
    readme: {meaning: 'Reject filters on hidden properties.'},
  },
} as const satisfies SettingGroup;
