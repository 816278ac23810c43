import {CLUSTER_SETTINGS, CONNECTOR_SETTINGS} from './table-connector';
import {DRIVER_SETTINGS, JUGGLER_SETTINGS} from './table-passed';
import type {MySqlSettings, PoolOptionName, SettingGroup, SettingSpec} from './types';

/**
 * The settings table: every top-level setting, the connector's, mysql2's and juggler's, with its aliases, the kinds
 * of value it takes, its default, where it goes and its README row. The run-time checks (validate.ts), the mysql2
 * pool options and the url's query conversions (resolve.ts), the unknown-setting warning and the README's settings
 * tables (`npm run docs:settings`) all come from it. The rows live in table-connector.ts and table-passed.ts, one
 * group per README table.
 */
export const SETTING_GROUPS = {
  connector: CONNECTOR_SETTINGS,
  cluster: CLUSTER_SETTINGS,
  mysql2: DRIVER_SETTINGS,
  juggler: JUGGLER_SETTINGS,
} as const satisfies Readonly<Record<string, SettingGroup>>;

export type SettingGroupName = keyof typeof SETTING_GROUPS;

/** All rows, by main name. */
export const SETTINGS = {
  ...CONNECTOR_SETTINGS,
  ...CLUSTER_SETTINGS,
  ...DRIVER_SETTINGS,
  ...JUGGLER_SETTINGS,
} as const;

export type Settings = typeof SETTINGS;
/** The main name of a setting (a key of the table). */
export type MainSettingName = keyof Settings;

/** The aliases of a row. */
type AliasesOf<S> = S extends {readonly aliases: readonly (infer A)[]} ? A : never;
/** Every name the table knows: main names and aliases. */
export type SettingName = {[K in MainSettingName]: K | AliasesOf<Settings[K]>}[MainSettingName];

// Compile-time checks: `Nothing<T>` compiles only when T is `never`, and the error names what is left over.
type Nothing<T extends never> = T;
/**
 * The table and {@link MySqlSettings} name the same settings: a setting documented in the type but missing from the
 * table, or in the table but not in the type, does not compile. Settings passed to mysql2 as they are must be mysql2
 * pool options.
 */
export type SettingsTableChecks = [
  missingFromTable: Nothing<Exclude<keyof MySqlSettings, SettingName>>,
  missingFromType: Nothing<Exclude<SettingName, keyof MySqlSettings>>,
  notPoolOptions: Nothing<Exclude<PassedAsIs, PoolOptionName>>,
];
type PassedAsIs = {
  [K in MainSettingName]: Settings[K]['to'] extends 'mysql2' ? K : never;
}[MainSettingName];

const ROWS: Readonly<Record<MainSettingName, SettingSpec>> = SETTINGS;

/** Main name of every alias: `hostname` → `host`. */
const MAIN_NAME_OF: ReadonlyMap<string, MainSettingName> = new Map(
  (Object.keys(ROWS) as MainSettingName[]).flatMap((name) => [
    [name, name] as const,
    ...(ROWS[name].aliases ?? []).map((alias) => [alias, name] as const),
  ]),
);

/** Every known name, main names followed by their aliases, in the table's order. */
export const SETTING_NAMES: readonly SettingName[] = [...MAIN_NAME_OF.keys()] as SettingName[];

/** The main names of the settings passed to mysql2 as they are. */
export const PASSED_AS_IS: readonly MainSettingName[] = (
  Object.keys(ROWS) as MainSettingName[]
).filter((name) => ROWS[name].to === 'mysql2');

/** Whether the connector, mysql2's accepted options or juggler know `key` (a main name or an alias). */
export function isSettingName(key: string): key is SettingName {
  return MAIN_NAME_OF.has(key);
}

/** The row of a known name or alias. */
export function specOf(key: SettingName): {
  readonly name: MainSettingName;
  readonly spec: SettingSpec;
} {
  const name = MAIN_NAME_OF.get(key) as MainSettingName;
  return {name, spec: ROWS[name]};
}

/** The value the connector uses for a setting that is not given. */
export function defaultOf<K extends MainSettingName>(
  name: K,
): Settings[K] extends {readonly default: infer D} ? D : undefined {
  return ROWS[name].default as Settings[K] extends {readonly default: infer D} ? D : undefined;
}
