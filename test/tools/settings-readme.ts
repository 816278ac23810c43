/*
 * The settings tables of README.md, rendered from the settings table (src/mysql/settings/table*.ts).
 *
 *   npm run docs:settings            rewrites README.md's tables
 *   tsx test/tools/settings-readme.ts --check    exits 1 when they differ
 *
 * Each table sits between `<!-- settings:<group> ... -->` and `<!-- /settings:<group> -->` in README.md; the text
 * around them is the README's own. The result goes through prettier with the repository's configuration, so
 * `prettier --check` and test/unit/mysql/settings-readme.test.ts agree with it.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import {SETTING_GROUPS, type SettingGroupName} from '../../src/mysql/settings';
import type {SettingSpec, ValueKind} from '../../src/mysql/settings';

export const README_PATH = path.resolve(__dirname, '../../README.md');
export const REGENERATE_COMMAND = 'npm run docs:settings';

const KIND_WORD: Readonly<Record<ValueKind, string>> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  object: 'object',
  array: 'list',
  function: 'function',
  servers: 'list',
};

/**
 * The Type column: the README's own words, the strings of a closed set, or the kinds ("boolean or list"), with the
 * unit of a number.
 */
function typeCell(spec: SettingSpec): string {
  if (
    spec.readme.type === undefined &&
    spec.values !== undefined &&
    spec.type.join() === 'string'
  ) {
    return spec.values.map((value) => `\`'${value}'\``).join(', ');
  }
  const words = [...new Set(spec.type.map((kind) => KIND_WORD[kind]))];
  const kinds =
    words.length <= 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
  const text = spec.readme.type ?? kinds;
  return spec.readme.unit === undefined ? text : `${text} (${spec.readme.unit})`;
}

/** The Default column: the connector's default, then the note or someone else's default. */
function defaultCell(spec: SettingSpec): string {
  const parts: string[] = [];
  if (spec.default !== undefined) parts.push(`\`${String(spec.default)}\``);
  if (spec.readme.default !== undefined) parts.push(spec.readme.default);
  return parts.join(' ');
}

/** A markdown table of one group of settings, in the table's order (prettier aligns it later). */
export function renderGroup(group: SettingGroupName): string {
  const rows: string[][] = [
    ['Setting', 'Type', 'Default', 'Meaning'],
    ['---', '---', '---', '---'],
  ];
  for (const [name, spec] of Object.entries(SETTING_GROUPS[group]) as [string, SettingSpec][]) {
    const names = [name, ...(spec.aliases ?? [])].map((n) => `\`${n}\``).join(' / ');
    rows.push([names, typeCell(spec), defaultCell(spec), spec.readme.meaning]);
  }
  return rows
    .map((cells) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`)
    .join('\n');
}

/** `<!-- settings:group ... -->`, the table, `<!-- /settings:group -->`. */
function regionPattern(group: SettingGroupName): RegExp {
  return new RegExp(
    `(<!-- settings:${group}\\b[^\\n]*-->\\n)[\\s\\S]*?(\\n<!-- /settings:${group} -->)`,
  );
}

/**
 * README.md's text with each generated table replaced by its rendering from the settings table, formatted by
 * prettier. Throws when a group's markers are missing.
 */
export async function renderReadme(readme: string): Promise<string> {
  let text = readme;
  for (const group of Object.keys(SETTING_GROUPS) as SettingGroupName[]) {
    const pattern = regionPattern(group);
    if (!pattern.test(text)) {
      throw new Error(
        `README.md has no "<!-- settings:${group} -->" ... "<!-- /settings:${group} -->" region`,
      );
    }
    text = text.replace(pattern, (_all, begin: string, end: string) => {
      return `${begin}\n${renderGroup(group)}\n${end}`;
    });
  }
  const options = (await prettier.resolveConfig(README_PATH)) ?? {};
  return prettier.format(text, {...options, filepath: README_PATH});
}

async function main(argv: readonly string[]): Promise<void> {
  const current = readFileSync(README_PATH, 'utf8');
  const rendered = await renderReadme(current);
  if (argv.includes('--write')) {
    if (rendered !== current) writeFileSync(README_PATH, rendered);
    console.log(
      rendered === current ? 'README.md is up to date' : 'README.md: settings tables rewritten',
    );
  } else if (rendered !== current) {
    console.error(`README.md's settings tables are out of date: run ${REGENERATE_COMMAND}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
