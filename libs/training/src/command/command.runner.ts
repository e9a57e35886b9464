import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { MalformedMetric, MetricListener, OutputFile, StepMetric } from '../trainer.js';
import { TrainingError } from '../training.error.js';
import { MAX_METRIC_LINE, parseMetricLine } from './metric-line.parser.js';
import { changedFiles, snapshotFiles } from './output-files.js';

export interface CommandRunOptions {
  /** Executable (absolute path, or a name resolved with the child's PATH if PATH is allowed). */
  readonly command: string;
  readonly args?: readonly string[];
  /** Working directory: the tmpfs path that holds the decrypted dataset; outputs are captured from here. */
  readonly workDir: string;
  /** Names of variables copied from `baseEnv` (default `process.env`); nothing else is inherited. */
  readonly envAllowList?: readonly string[];
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Variables set explicitly (e.g. `CONFIDE_DATASET`, hyperparameters). */
  readonly env?: Readonly<Record<string, string>>;
  /** Wall-clock limit; SIGTERM when it is reached, SIGKILL `killGraceMs` later. */
  readonly timeLimitMs: number;
  readonly killGraceMs?: number;
  /** Limits on what is captured: file count and total bytes of new or changed files. */
  readonly maxOutputFiles?: number;
  readonly maxOutputBytes?: number;
  /**
   * How many stdout lines that are not metrics to tolerate before the trainer is stopped (default: unlimited, each
   * becomes a `malformed` event). The node agent uses 0: stdout is the metrics channel, logs belong on stderr.
   */
  readonly maxMalformedLines?: number;
}

export type CommandRunStatus = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'invalid_output';

export interface CommandRunResult {
  readonly status: CommandRunStatus;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly steps: number;
  readonly lastStep?: StepMetric;
  readonly malformedLines: number;
  /** Bytes written to stderr; the content is discarded (it may hold training data). */
  readonly stderrBytes: number;
  /** Files created or changed in `workDir`, sorted by path. */
  readonly outputs: readonly OutputFile[];
  /** Links and special files found in `workDir` that were not captured. */
  readonly skippedEntries: number;
  /** With status `invalid_output`: the first stdout line over the `maxMalformedLines` limit (number and reason only). */
  readonly invalidLine?: MalformedMetric;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs an external trainer in its own process group with a minimal environment, turns its JSON-lines stdout into
 * metric events, enforces the time limit and the AbortSignal (SIGTERM to the group, then SIGKILL), and reports what
 * it wrote. Resolves with the outcome for every exit; rejects only when the process cannot be started or the
 * outputs exceed their limits.
 */
export async function runCommand(options: CommandRunOptions, onMetric: MetricListener = () => undefined, signal?: AbortSignal): Promise<CommandRunResult> {
  const env = buildEnv(options);
  if (!(options.timeLimitMs > 0)) throw new TrainingError('invalid_options', 'timeLimitMs must be positive', 'timeLimitMs');
  if (signal?.aborted) throw new TrainingError('command_cancelled', 'the trainer was cancelled before it started');
  const limits = { maxFiles: options.maxOutputFiles ?? 10_000 };
  const before = await snapshotFiles(options.workDir, limits);
  const graceMs = options.killGraceMs ?? 5_000;

  let steps = 0;
  let malformedLines = 0;
  let lastStep: StepMetric | undefined;
  let stderrBytes = 0;
  let lineNumber = 0;
  let pending = '';
  let discarding = false;
  let invalidLine: MalformedMetric | undefined;
  let stopForOutput: () => void = () => undefined;
  const decoder = new StringDecoder('utf8');
  const handleLine = (line: string, tooLong: boolean): void => {
    // Strict: once a line broke the limit the output is invalid, and lines after it (even in the same chunk) are ignored.
    if (invalidLine) return;
    lineNumber++;
    const event = tooLong ? ({ type: 'malformed', line: lineNumber, reason: 'line_too_long' } as const) : parseMetricLine(line, lineNumber);
    if (event === null) return;
    if (event.type === 'malformed') {
      malformedLines++;
      if (malformedLines > (options.maxMalformedLines ?? Infinity) && !invalidLine) {
        invalidLine = event;
        stopForOutput();
      }
    } else {
      steps++;
      lastStep = event;
    }
    onMetric(event);
  };
  const consume = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      if (discarding) handleLine('', true);
      else if (pending.length + piece.length > MAX_METRIC_LINE) handleLine('', true);
      else handleLine(pending + piece, false);
      pending = '';
      discarding = false;
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (!discarding) {
      if (pending.length + rest.length > MAX_METRIC_LINE) {
        pending = '';
        discarding = true;
      } else pending += rest;
    }
  };

  type Reason = 'exit' | 'timeout' | 'abort' | 'invalid_output';
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; reason: Reason }>(
    (resolve, reject) => {
      let child;
      try {
        child = spawn(options.command, [...(options.args ?? [])], {
          cwd: options.workDir,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
      } catch (cause) {
        reject(new TrainingError('command_spawn_failed', 'the trainer process could not be started', undefined, (cause as Error).message));
        return;
      }
      let reason: Reason = 'exit';
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: Exclude<Reason, 'exit'>): void => {
        if (reason !== 'exit') return;
        reason = why;
        signalGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
      };
      const limitTimer = setTimeout(() => stop('timeout'), options.timeLimitMs);
      const onAbort = (): void => stop('abort');
      stopForOutput = () => stop('invalid_output');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => consume(decoder.write(chunk)));
      child.stderr.on('data', (chunk: Buffer) => (stderrBytes += chunk.length));
      const cleanup = (): void => {
        clearTimeout(limitTimer);
        if (killTimer) clearTimeout(killTimer);
        signal?.removeEventListener('abort', onAbort);
      };
      child.once('error', (cause) => {
        cleanup();
        reject(new TrainingError('command_spawn_failed', 'the trainer process could not be started', undefined, cause.message));
      });
      child.once('close', (code, sig) => {
        cleanup();
        // Whatever else is still in the group (a grandchild holding no pipe) goes with it.
        signalGroup(child.pid, 'SIGKILL');
        resolve({ code, signal: sig, reason });
      });
    },
  );
  consume(decoder.end() + '\n');

  const after = await snapshotFiles(options.workDir, limits);
  const outputs = await changedFiles(options.workDir, before, after, options.maxOutputBytes ?? 64 * 1024 ** 3);
  const status: CommandRunStatus =
    outcome.reason === 'timeout'
      ? 'timed_out'
      : outcome.reason === 'abort'
        ? 'cancelled'
        : outcome.reason === 'invalid_output' || invalidLine
          ? 'invalid_output'
          : outcome.code === 0
            ? 'succeeded'
            : 'failed';
  return {
    status,
    exitCode: outcome.code,
    signal: outcome.signal,
    steps,
    ...(lastStep && { lastStep }),
    malformedLines,
    stderrBytes,
    outputs,
    skippedEntries: after.skipped,
    ...(invalidLine && { invalidLine }),
  };
}

function buildEnv(options: CommandRunOptions): Record<string, string> {
  const base = options.baseEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const name of options.envAllowList ?? []) {
    if (!ENV_NAME.test(name)) throw new TrainingError('invalid_options', 'an environment variable name is invalid', 'envAllowList');
    const value = base[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!ENV_NAME.test(name) || value.includes('\0')) throw new TrainingError('invalid_options', 'an environment variable is invalid', 'env');
    env[name] = value;
  }
  return env;
}

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}
