/*
 * Temporary consumer projects: an app folder where `loopback-connector-mysql-ts` is this package as npm publishes it
 * (package.json and a dist/ freshly built from src with tsconfig.build.json), the other packages are this
 * repository's node_modules, and tsc checks the app's own files with the app's own tsconfig.
 *
 * Layout, in one folder of os.tmpdir() per test process (removed when the process exits):
 *
 *   node_modules/loopback-connector-mysql-ts/{package.json,dist/}   built once, a real folder
 *   node_modules/<every other package>                            links to this repository's node_modules
 *   <project>/{package.json,tsconfig.json,*.ts}                     one folder per consumer project
 *
 * The package folder is a real folder, not a link to the repository, so that its package.json (not the project's)
 * decides how its .d.ts files are read, as in an installed app, and a stale dist/ of the repository plays no part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const REPO = path.resolve(__dirname, '../..');
const PACKAGE_NAME = 'loopback-connector-mysql-ts';

/** The strict options every consumer project compiles with, on top of its module settings. */
export const STRICT_OPTIONS = {
  target: 'es2022',
  lib: ['es2022'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  skipLibCheck: false,
  types: ['node'],
  noEmit: true,
} as const;

/** The module settings of the two kinds of consumer the published types must serve. */
export const MODULE_SETTINGS = {
  /** Node.js's own resolution: what an LB4 app or a plain Node.js app uses. */
  node16: {module: 'node16', moduleResolution: 'node16'},
  /** A bundler (esbuild, webpack, vite) or tsx. */
  bundler: {module: 'esnext', moduleResolution: 'bundler'},
} as const;

/**
 * Diagnostics in other packages' own declaration files that any project with `skipLibCheck: false` gets, with or
 * without this package. Each is tolerated only in the file named here; anything else fails the test.
 */
const UPSTREAM_DIAGNOSTICS: readonly {file: RegExp; code: number; why: string}[] = [
  {
    file: /[\\/]@loopback[\\/]repository[\\/]dist[\\/]mixins[\\/]repository\.mixin\.d\.ts$/,
    code: 2304,
    why: '@loopback/repository 8 names EventEmitter.captureRejectionSymbol without importing EventEmitter',
  },
];

export interface Diagnostic {
  /** Absolute path of the file, or undefined for a global diagnostic. */
  readonly file: string | undefined;
  /** 1-based line. */
  readonly line: number;
  readonly code: number;
  readonly message: string;
}

let root: string | undefined;

/** The folder holding node_modules with this package built from src; built on the first call of the process. */
export function consumerRoot(): string {
  if (root) return root;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbts-consumer-'));
  process.once('exit', () => fs.rmSync(dir, {recursive: true, force: true}));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(REPO, 'node_modules'))) {
    if (entry.startsWith('.') || entry === PACKAGE_NAME) continue;
    fs.symlinkSync(path.join(REPO, 'node_modules', entry), path.join(modules, entry), 'junction');
  }
  const packageDir = path.join(modules, PACKAGE_NAME);
  fs.mkdirSync(packageDir);
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(packageDir, 'package.json'));
  buildPackage(path.join(packageDir, 'dist'));
  root = dir;
  return dir;
}

/** `npm run build` (tsconfig.build.json) into `outDir`: the declarations and JavaScript users get. */
function buildPackage(outDir: string): void {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(REPO, 'tsconfig.build.json'),
    {outDir},
    {...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([toDiagnostic(d)])},
  );
  if (!config) throw new Error('tsconfig.build.json could not be read');
  const program = ts.createProgram({rootNames: config.fileNames, options: config.options});
  const result = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].map(toDiagnostic);
  if (errors.length > 0 || result.emitSkipped) fail(errors);
  if (!fs.existsSync(path.join(outDir, 'index.d.ts')))
    throw new Error(`no index.d.ts in ${outDir}`);
}

function fail(errors: readonly Diagnostic[]): never {
  throw new Error(`building the package failed:\n${formatDiagnostics(errors)}`);
}

export interface ConsumerProject {
  readonly dir: string;
  /** Absolute path of each source file, by the name it was given. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Writes a consumer project next to the built package: package.json (`type`), tsconfig.json (the strict options,
 * `moduleSettings` and `extra` options) and the source files.
 */
export function createConsumer(
  name: string,
  options: {
    type: 'module' | 'commonjs';
    moduleSettings: (typeof MODULE_SETTINGS)[keyof typeof MODULE_SETTINGS];
    files: Readonly<Record<string, string>>;
    extra?: Readonly<Record<string, unknown>>;
  },
): ConsumerProject {
  const dir = path.join(consumerRoot(), name);
  fs.rmSync(dir, {recursive: true, force: true});
  fs.mkdirSync(dir);
  const packageJson = {name, private: true, type: options.type};
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(packageJson, null, 2));
  const compilerOptions = {...STRICT_OPTIONS, ...options.moduleSettings, ...options.extra};
  const tsconfig = {compilerOptions, include: Object.keys(options.files)};
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const files: Record<string, string> = {};
  for (const [file, text] of Object.entries(options.files)) {
    const filePath = path.join(dir, file);
    fs.writeFileSync(filePath, text);
    files[file] = filePath;
  }
  return {dir, files};
}

/**
 * Type-checks a consumer project with its tsconfig.json, as `tsc --noEmit -p <dir>` does, and returns the
 * diagnostics, without the known ones of other packages (see UPSTREAM_DIAGNOSTICS).
 */
export function typecheck(project: ConsumerProject): Diagnostic[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(project.dir, 'tsconfig.json'),
    undefined,
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(formatDiagnostics([toDiagnostic(d)]));
      },
    },
  );
  if (!config) throw new Error(`${project.dir}/tsconfig.json could not be read`);
  const program = ts.createProgram({rootNames: config.fileNames, options: config.options});
  return [...config.errors, ...ts.getPreEmitDiagnostics(program)]
    .map(toDiagnostic)
    .filter(
      (d) => !UPSTREAM_DIAGNOSTICS.some((u) => u.code === d.code && u.file.test(d.file ?? '')),
    );
}

function toDiagnostic(d: ts.Diagnostic): Diagnostic {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return {file: undefined, line: 0, code: d.code, message};
  const {line} = d.file.getLineAndCharacterOfPosition(d.start);
  return {file: d.file.fileName, line: line + 1, code: d.code, message};
}

/** One diagnostic per paragraph: `file:line TScode message`. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => `${d.file ?? '(global)'}:${d.line} TS${d.code} ${d.message}`)
    .join('\n\n');
}
