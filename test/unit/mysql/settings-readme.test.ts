import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {SETTING_GROUPS, SETTINGS, type SettingGroupName} from '../../../src/mysql/settings';
import {
  README_PATH,
  REGENERATE_COMMAND,
  renderGroup,
  renderReadme,
} from '../../tools/settings-readme';

describe("README.md's settings tables", () => {
  const readme = readFileSync(README_PATH, 'utf8');

  it('are the rendering of the settings table (src/mysql/settings/table*.ts)', async () => {
    const rendered = await renderReadme(readme);
    if (rendered === readme) return;
    const current = readme.split('\n');
    const expected = rendered.split('\n');
    const line = expected.findIndex((text, i) => text !== current[i]);
    assert.fail(
      `README.md's settings tables differ from src/mysql/settings/table*.ts (first at line ${line + 1}).\n` +
        `Run \`${REGENERATE_COMMAND}\` to regenerate them.\n` +
        `README.md:  ${current[line] ?? '(end of file)'}\nrendered:   ${expected[line] ?? '(end of file)'}`,
    );
  });

  it('list every setting and alias once, each in the table of its group', () => {
    for (const group of Object.keys(SETTING_GROUPS) as SettingGroupName[]) {
      const table = renderGroup(group);
      for (const [name, spec] of Object.entries(SETTING_GROUPS[group])) {
        const cell = [name, ...(spec.aliases ?? [])].map((n) => `\`${n}\``).join(' / ');
        assert.ok(table.includes(`| ${cell} |`), `${group}: ${cell}`);
      }
    }
    const rows = readme.split('\n').filter((line) => /^\| `\w+`( \/ `\w+`)* +\|/.test(line));
    for (const name of Object.keys(SETTINGS)) {
      const matches = rows.filter((row) => row.startsWith(`| \`${name}\` `));
      assert.equal(matches.length, 1, `${name}: ${matches.length} README rows`);
    }
  });

  it('a row edited by hand is put back', async () => {
    const edited = readme.replace(/(\| `connectionLimit` +\| number +\| )`10`/, '$1`20`');
    assert.notEqual(edited, readme);
    assert.equal(await renderReadme(edited), readme);
  });

  it('a README without the markers of a group is an error', async () => {
    await assert.rejects(
      renderReadme(readme.replace('<!-- /settings:juggler -->', '')),
      /no "<!-- settings:juggler -->"/,
    );
  });
});
