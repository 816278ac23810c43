/*
 * What the code under test prints, captured instead of printed: console.log/info/warn/error, process.emitWarning
 * and direct writes to stderr (juggler's deprecation notices). A test that causes a warning asserts it, and the test
 * output stays the reporter's alone.
 */
import assert from 'node:assert/strict';
import util from 'node:util';

export interface Capture {
  /** Each printed message (console call, warning or stderr write), as one string. */
  readonly lines: string[];
  /** Puts console, process.emitWarning and stderr back; returns the lines. Safe to call twice. */
  stop(): string[];
}

const METHODS = ['log', 'info', 'warn', 'error'] as const;

export function startCapture(): Capture {
  const lines: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- each is put back on console as it was
  const saved = METHODS.map((m) => [m, console[m]] as const);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was
  const {emitWarning} = process;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was
  const stderrWrite = process.stderr.write;
  for (const m of METHODS)
    console[m] = (...args: unknown[]) => void lines.push(util.format(...args));
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    const code: unknown =
      warning instanceof Error
        ? (warning as Error & {code?: unknown}).code
        : typeof options === 'object' && options !== null
          ? (options as {code?: unknown}).code
          : rest[1];
    const text = warning instanceof Error ? warning.message : warning;
    lines.push(typeof code === 'string' ? `[${code}] ${text}` : text);
  };
  process.stderr.write = (chunk: string | Uint8Array) => {
    lines.push(String(chunk).replace(/\n$/, ''));
    return true;
  };
  let stopped = false;
  return {
    lines,
    stop() {
      if (!stopped) {
        stopped = true;
        for (const [m, fn] of saved) console[m] = fn;
        process.emitWarning = emitWarning;
        process.stderr.write = stderrWrite;
      }
      return lines;
    },
  };
}

/** Runs `fn` with the output captured; resolves with its result and what it printed. */
export async function capturing<T>(
  fn: () => Promise<T> | T,
): Promise<{result: T; lines: string[]}> {
  const capture = startCapture();
  try {
    const result = await fn();
    return {result, lines: capture.stop()};
  } finally {
    capture.stop();
  }
}

/**
 * Asserts that every printed line matches one of `expected`, and (unless `optional`) that each pattern matched at
 * least one line. Fails with the unexpected lines.
 */
export function assertPrinted(
  lines: readonly string[],
  expected: readonly RegExp[],
  {optional = false}: {optional?: boolean} = {},
): void {
  const unexpected = lines.filter((line) => !expected.some((re) => re.test(line)));
  assert.deepEqual(unexpected, [], 'printed lines that no test expects');
  if (!optional) {
    const unmatched = expected.filter((re) => !lines.some((line) => re.test(line)));
    assert.deepEqual(
      unmatched,
      [],
      `expected output not printed; printed: ${JSON.stringify(lines)}`,
    );
  }
}
