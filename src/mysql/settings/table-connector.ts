import {DEFAULT_MAX_PREPARED_STATEMENTS} from '../prepared';
import type {SettingGroup} from './types';

// Rows of the settings table (table.ts): the connector's own settings, in the README's order.

/** Where the server is, how to log in, the pool, the connection and what the connector does itself. */
export const CONNECTOR_SETTINGS = {
  url: {
    type: ['string'],
    secret: true,
    to: {mysql2: ['host', 'port', 'user', 'password', 'database']},
    readme: {
      meaning:
        '`mysql://user:password@host:port/database?option=value`. **Merged** with the other settings: its parts ' +
        'win over `host`, `port`, `user`, `password`, `database`, its query options over the same settings.',
    },
  },
  host: {
    aliases: ['hostname'],
    type: ['string'],
    to: {mysql2: ['host']},
    default: 'localhost',
    readme: {meaning: 'Server host.'},
  },
  port: {
    type: ['number'],
    to: {mysql2: ['port']},
    query: 'number',
    default: 3306,
    readme: {meaning: 'Server port.'},
  },
  socketPath: {
    type: ['string'],
    to: 'mysql2',
    readme: {meaning: 'Unix socket, instead of host and port.'},
  },
  user: {
    aliases: ['username'],
    type: ['string'],
    to: {mysql2: ['user']},
    readme: {meaning: 'User name.'},
  },
  password: {
    type: ['string'],
    secret: true,
    to: {mysql2: ['password']},
    readme: {meaning: 'Password. Never logged, never in an error message.'},
  },
  database: {
    aliases: ['db'],
    type: ['string'],
    to: {mysql2: ['database']},
    readme: {meaning: 'Database (schema).'},
  },
  connectionLimit: {
    type: ['number'],
    to: 'mysql2',
    query: 'number',
    default: 10,
    readme: {meaning: 'Most pooled connections.'},
  },
  queueLimit: {
    type: ['number'],
    to: 'mysql2',
    query: 'number',
    readme: {default: '`0` (unbounded)', meaning: 'Most calls waiting for a connection.'},
  },
  connectTimeout: {
    type: ['number'],
    to: 'mysql2',
    query: 'number',
    readme: {
      unit: 'ms',
      default: '`10000`',
      meaning: 'Time allowed for the TCP connection and handshake.',
    },
  },
  acquireTimeout: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    default: 10000,
    readme: {
      unit: 'ms',
      meaning:
        'How long a call waits for a free pool connection before failing with 503 (`POOL_ACQUIRE_TIMEOUT`). ' +
        '`0` waits forever.',
    },
  },
  queryTimeout: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    default: 0,
    readme: {
      unit: 'ms',
      default: '(none)',
      meaning:
        'How long a statement may run; past it the statement is stopped on the server (`KILL QUERY`) and the call ' +
        'fails with 504 (`QUERY_TIMEOUT`). Per call: `options.timeout`.',
    },
  },
  deadlockRetries: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    default: 3,
    readme: {
      meaning:
        'How often an autocommit statement rolled back by a deadlock (1213) or lock-wait timeout (1205) runs ' +
        'again, with jittered backoff.',
    },
  },
  preparedStatements: {
    type: ['boolean'],
    to: 'connector',
    query: 'boolean',
    default: false,
    readme: {
      meaning:
        'Run the SELECTs built from plain comparisons (findById, find, count) as prepared statements, at most ' +
        `\`maxPreparedStatements\` (default \`${DEFAULT_MAX_PREPARED_STATEMENTS}\`) per connection, as text again ` +
        'when the server refuses one (1461 `max_prepared_stmt_count`...). Off by default: measured, no gain ' +
        'through juggler (see [Performance](#performance)).',
    },
  },
  charset: {
    type: ['string'],
    to: {mysql2: ['charset']},
    default: 'utf8mb4',
    readme: {meaning: 'Connection character set; 4-byte characters (emoji) round-trip.'},
  },
  collation: {
    type: ['string'],
    to: {mysql2: ['charset']},
    readme: {
      default: "server's for the charset",
      meaning:
        'Connection collation (`utf8mb4_unicode_ci`); wins over `charset`. Also used for ' +
        '`CREATE DATABASE`/`CREATE TABLE`.',
    },
  },
  timezone: {
    type: ['string'],
    to: 'mysql2',
    default: 'Z',
    readme: {
      default: '(UTC)',
      meaning:
        'Time zone of DATETIME values: `Z`, `local` or `+HH:MM`. An explicit value is always honoured.',
    },
  },
  ssl: {
    type: ['object', 'string', 'boolean'],
    to: {mysql2: ['ssl']},
    query: 'ssl',
    readme: {
      type: 'object, string, `true`',
      meaning:
        'TLS: mysql2 SSL options (`ca`, `cert`, `key` as PEM text, `rejectUnauthorized`...), a mysql2 profile ' +
        "name (`'Amazon RDS'`), or `true`. Also as `?ssl=` in `url`.",
    },
  },
  supportBigNumbers: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    default: true,
    readme: {
      meaning:
        'BIGINT/DECIMAL values beyond 2^53 come back as exact strings (a `String` property keeps them exact).',
    },
  },
  bigNumberStrings: {
    type: ['boolean'],
    to: 'mysql2',
    query: 'boolean',
    readme: {default: '`false`', meaning: 'Every BIGINT/DECIMAL value as a string.'},
  },
  dateStrings: {
    type: ['boolean', 'array'],
    to: 'mysql2',
    readme: {default: '`false`', meaning: 'DATE/DATETIME/TIMESTAMP as strings.'},
  },
  flags: {
    type: ['string', 'array'],
    to: {mysql2: ['flags']},
    readme: {
      type: 'string or list',
      meaning:
        "mysql2 connection flags added to the connector's: `'COMPRESS,-MULTI_STATEMENTS'` or a list. " +
        '`FOUND_ROWS` stays off, and `LOCAL_FILES` needs `mysql2: {infileStreamFactory}`.',
    },
  },
  createDatabase: {
    type: ['boolean'],
    to: 'connector',
    query: 'boolean',
    default: false,
    readme: {meaning: 'Create the database, once, at connect time when it is missing.'},
  },
  lazyConnect: {
    type: ['boolean'],
    to: 'connector',
    query: 'boolean',
    default: false,
    readme: {
      meaning:
        'Connect on first use instead of in `initialize`. Raw `execute` connects too (it never hangs).',
    },
  },
  treatTINYINT1AsTinyInt: {
    type: ['boolean', 'string', 'number'],
    values: ['true', 'false', '1', '0'],
    to: 'connector',
    default: true,
    readme: {
      type: 'boolean',
      meaning: "Discovery: TINYINT(1) is a Number (`false`: a Boolean). A call's options win.",
    },
  },
  treatCHAR1AsString: {
    type: ['boolean', 'string', 'number'],
    values: ['true', 'false', '1', '0'],
    to: 'connector',
    default: false,
    readme: {
      type: 'boolean',
      meaning: "Discovery: CHAR(1) is a Boolean (`true`: a String). A call's options win.",
    },
  },
  treatBIT1AsBit: {
    type: ['boolean', 'string', 'number'],
    values: ['true', 'false', '1', '0'],
    to: 'connector',
    default: true,
    readme: {
      type: 'boolean',
      meaning: "Discovery: BIT(1) is a Buffer (`false`: a Boolean). A call's options win.",
    },
  },
  debug: {
    // The official connector passed it to the driver, which took a list of packet names too.
    type: ['boolean', 'string', 'array'],
    to: 'connector',
    readme: {
      type: 'boolean',
      default: '`false`',
      meaning:
        "Accepted for compatibility; never turns on mysql2's packet dumps. Use `DEBUG=loopback:connector:mysql`.",
    },
  },
  mysql2: {
    type: ['object'],
    to: {mysql2: '*'},
    readme: {
      meaning:
        'Any other mysql2 pool option (`enableKeepAlive`, `maxIdle`, `idleTimeout`, `authPlugins`, ' +
        '`multipleStatements`...).',
    },
  },
} as const satisfies SettingGroup;

/** Read replicas, Galera nodes and Group Replication. */
export const CLUSTER_SETTINGS = {
  replicas: {
    type: ['servers'],
    to: 'connector',
    readme: {
      type: 'list',
      meaning:
        'Read replicas of the primary: reads outside transactions go to them. Each is `{host, port, user, ' +
        "password, ssl}` or a `mysql://` url; the other settings are the primary's.",
    },
  },
  nodes: {
    type: ['servers'],
    to: 'connector',
    readme: {
      type: 'list',
      meaning:
        'The nodes of a Galera cluster, or the members of a Group Replication group, instead of `host`/`port`.',
    },
  },
  replicaSelector: {
    type: ['string'],
    values: ['RR', 'RANDOM', 'ORDER'],
    ignoreCase: true,
    to: 'connector',
    default: 'RR',
    readme: {
      meaning:
        'How reads pick a replica: `RR` (round robin), `RANDOM` or `ORDER` (the first live one).',
    },
  },
  nodeSelector: {
    type: ['string'],
    values: ['RR', 'RANDOM', 'ORDER'],
    ignoreCase: true,
    to: 'connector',
    default: 'ORDER',
    readme: {meaning: 'How statements pick a node of `nodes`: `ORDER`, `RR` or `RANDOM`.'},
  },
  cluster: {
    type: ['string'],
    values: ['galera', 'group-replication'],
    to: 'connector',
    default: 'galera',
    readme: {
      meaning:
        'What `nodes` are: `galera`, or `group-replication` (writes to the primary member, reads to the ONLINE ' +
        'secondaries).',
    },
  },
  groupRefreshInterval: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    default: 1000,
    readme: {
      unit: 'ms',
      meaning: 'Group Replication: time between two looks at the group while it has a primary.',
    },
  },
  readYourWritesMs: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    default: 0,
    readme: {
      unit: 'ms',
      meaning: 'After a write, this data source reads from the primary for so long.',
    },
  },
  maxReplicaLag: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    readme: {
      unit: 's',
      default: 'no check',
      meaning:
        'How far a replica may lag before it leaves rotation. Takes `REPLICATION CLIENT` (MySQL) or ' +
        '`SLAVE MONITOR` (MariaDB).',
    },
  },
  lagCheckInterval: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    default: 1000,
    readme: {unit: 'ms', meaning: 'Time between two replica lag checks.'},
  },
  restoreNodeTimeout: {
    type: ['number'],
    to: 'connector',
    query: 'number',
    default: 5000,
    readme: {unit: 'ms', meaning: 'How long a replica or node that failed stays out of rotation.'},
  },
} as const satisfies SettingGroup;
