/*
 * Every TypeScript block of README.md compiles, as a user would paste it into a strict app (ES module, node16
 * resolution, `strict`, `exactOptionalPropertyTypes`, `noUncheckedIndexedAccess`, `skipLibCheck: false`) against
 * this package as npm publishes it, juggler 7 and @loopback/repository; and the "Programmatically" example, run
 * against the server, prints what the README says it prints.
 *
 * A block that continues an earlier one says so on its first line, with the earlier section's heading in quotes
 * followed by "above" (`// ds and Todo: from "Programmatically" above`): it is compiled after that section's first
 * block, in the same file.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {promisify} from 'node:util';
import ts from 'typescript';
import {
  MODULE_SETTINGS,
  createConsumer,
  formatDiagnostics,
  typecheck,
  type Diagnostic,
} from '../helpers/consumer-project';
import {createDatabase, dropDatabase, serverConfig} from '../helpers/mysql-config';

const README = path.resolve(__dirname, '../../README.md');
const CONTINUES = /^\/\/.*"([^"]+)" above\b/;

interface Block {
  /** The heading of the section the block is in. */
  readonly section: string;
  /** README line of the block's first code line (1-based). */
  readonly line: number;
  readonly code: string;
}

/** The ```ts and ```typescript blocks of a markdown text, with their section and position. */
function typescriptBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^(`{3,})\s*(\S*)/.exec(line);
    if (fence) {
      const [, ticks = '```', lang = ''] = fence;
      const end = lines.findIndex((l, j) => j > i && l.trimEnd() === ticks);
      if (end < 0) throw new Error(`README.md:${i + 1}: the code block is not closed`);
      if (lang === 'ts' || lang === 'typescript') {
        blocks.push({section, line: i + 2, code: lines.slice(i + 1, end).join('\n')});
      }
      i = end;
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) section = heading[1] ?? '';
  }
  return blocks;
}

interface Snippet {
  readonly file: string;
  readonly text: string;
  /** README line of each line of `text`. */
  readonly readmeLines: readonly number[];
  readonly section: string;
}

/** Each block as a module file, continuations after the block they continue. */
function snippets(blocks: readonly Block[]): Snippet[] {
  return blocks.map((block, index) => {
    const parts: Block[] = [block];
    const continued = CONTINUES.exec(block.code.split('\n')[0] ?? '')?.[1];
    if (continued !== undefined) {
      const earlier = blocks.slice(0, index).find((b) => b.section === continued);
      if (!earlier) {
        throw new Error(
          `README.md:${block.line}: continues "${continued}", but no earlier section of that name has a TypeScript block`,
        );
      }
      parts.unshift(earlier);
    }
    const text = parts.map((p) => p.code).join('\n') + '\nexport {};\n';
    const readmeLines = parts.flatMap((p) => p.code.split('\n').map((_, k) => p.line + k));
    return {
      file: `snippet-${String(index + 1).padStart(2, '0')}.ts`,
      text,
      readmeLines,
      section: block.section,
    };
  });
}

/** A diagnostic of a snippet file, told by its README line. */
function explain(d: Diagnostic, snippet: Snippet | undefined): string {
  if (!snippet) return formatDiagnostics([d]);
  const line = snippet.readmeLines[d.line - 1];
  return `README.md:${line ?? '?'} ("${snippet.section}") TS${d.code} ${d.message}`;
}

describe('README.md TypeScript blocks', function () {
  // Builds the package on first use (see consumer-project.ts), then one compilation, then a child process.
  this.timeout(180_000);

  const blocks = typescriptBlocks(fs.readFileSync(README, 'utf8'));
  const all = snippets(blocks);

  it('finds the blocks, among them the Quick start and Programmatically ones', function () {
    assert.ok(all.some((s) => s.section === 'LoopBack 4'));
    assert.ok(all.some((s) => s.section === 'Programmatically'));
    assert.ok(all.length >= 5, `only ${all.length} blocks`);
  });

  it('each compiles in a strict ES-module app against the published types', function () {
    const project = createConsumer('readme', {
      type: 'module',
      moduleSettings: MODULE_SETTINGS.node16,
      files: Object.fromEntries(all.map((s) => [s.file, s.text])),
    });
    const byPath = new Map(all.map((s) => [project.files[s.file], s]));
    const diagnostics = typecheck(project);
    assert.equal(
      diagnostics.length,
      0,
      diagnostics.map((d) => explain(d, byPath.get(d.file ?? ''))).join('\n\n'),
    );
  });

  describe('the "Programmatically" example, run', function () {
    let db: string | undefined;

    before(async function () {
      db = await createDatabase('readme');
    });

    after(async function () {
      if (db) await dropDatabase(db);
    });

    it('prints the todo its neq filter finds, and exits', async function () {
      const snippet = all.find((s) => s.section === 'Programmatically');
      assert.ok(snippet, 'no "Programmatically" block');
      // The compiled module, next to the README project so that the packages resolve as in the compile test.
      const js = ts.transpileModule(snippet.text, {
        compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022},
      }).outputText;
      const project = createConsumer('readme-run', {
        type: 'module',
        moduleSettings: MODULE_SETTINGS.node16,
        files: {'programmatically.js': js},
      });
      const {host, port, user, password} = serverConfig();
      const login = encodeURIComponent(user) + (password ? `:${encodeURIComponent(password)}` : '');
      const url = `mysql://${login}@${host}:${port}/${db}`;
      const {stdout} = await promisify(execFile)(
        process.execPath,
        [project.files['programmatically.js'] ?? ''],
        {cwd: project.dir, env: {...process.env, MYSQL_URL: url}, timeout: 60_000},
      );
      // What the README shows after the call: the one todo, with the default that makes `neq: true` match it.
      const shown = /^\/\/ (\[.*\])$/m.exec(snippet.text)?.[1];
      assert.ok(shown, 'the README shows no output line (// [ ... ])');
      assert.equal(stdout.trim(), shown);
    });
  });
});
