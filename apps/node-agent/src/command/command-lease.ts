import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { LeaseAssignment } from '@confide/contracts';
import { COMMAND_BUNDLE_FORMAT, CommandTrainer, packCommandOutput, TrainingError, type StepMetric, type TrainingMetricEvent, type TrainingSummary } from '@confide/training';
import { AgentFailure } from '../agent-failure.js';
import { DEFAULT_ENV_ALLOW_LIST, type NodeCommands } from './command-config.js';
import { TmpfsWorkspace, WorkspaceError } from './tmpfs-workspace.js';

type EventData = Record<string, number | string | boolean | null>;

export interface CommandLeaseContext {
  readonly leaseId: string;
  readonly job: NonNullable<LeaseAssignment['job']>;
  readonly seed: number;
  /** The decrypted training file; zero-filled here once it is on the tmpfs. */
  readonly plain: Buffer;
  readonly commands: NodeCommands;
  /** Where the per-lease workspace is made; must be a tmpfs (default /dev/shm). */
  readonly workspaceRoot: string;
  readonly signal: AbortSignal;
  readonly event: (level: 'info' | 'warn' | 'error', type: 'message' | 'metrics', message: string, data: EventData) => void;
  readonly flush: () => Promise<void>;
  /** The agent's environment, filtered through the command's allow-list (tests pass their own). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

export interface CommandLeaseResult {
  /** The output bundle (manifest + files) to seal to the enterprise. */
  readonly payload: Buffer;
  readonly format: string;
  readonly digest: string;
  readonly summary: TrainingSummary;
}

/** How many numeric extras of one metric line go into its event (the event API caps keys and sizes). */
const MAX_EXTRA_VALUES = 16;
const METRIC_BURST = 50;
const METRIC_RATE = 10;

/**
 * The `command` trainer on a lease: looks the job's command up in the operator's allow-list (and checks the
 * executable's digest against the job's pin), writes the decrypted training file to a fresh tmpfs workspace,
 * runs the trainer in its own process group with an allow-listed environment (no agent token, no identity key
 * path), streams its JSON-lines metrics as job events, bundles what it left in `output/` for sealing, and wipes
 * the workspace whatever happened (success, failure, timeout, cancel — the group is killed before the wipe).
 */
export async function runCommandLease(ctx: CommandLeaseContext): Promise<CommandLeaseResult> {
  const hp = ctx.job.hyperparameters as { command?: unknown; command_sha256?: unknown; n_epochs?: unknown; batch_size?: unknown; learning_rate_multiplier?: unknown };
  const name = typeof hp.command === 'string' ? hp.command : '';
  const spec = Object.hasOwn(ctx.commands, name) ? ctx.commands[name] : undefined;
  if (!spec) throw new AgentFailure('command_not_allowed', 'user');
  let digest: string;
  try {
    digest = await commandDigest(spec.executable, spec.args ?? []);
  } catch {
    throw new AgentFailure('command_executable_missing', 'infra');
  }
  if (typeof hp.command_sha256 === 'string' && hp.command_sha256 !== digest) throw new AgentFailure('command_digest_mismatch', 'user');
  ctx.event('info', 'message', 'Command trainer selected', { command: name, command_sha256: digest });

  let ws: TmpfsWorkspace;
  try {
    ws = await TmpfsWorkspace.create(ctx.workspaceRoot, ctx.leaseId);
  } catch (e) {
    ctx.plain.fill(0);
    throw e instanceof WorkspaceError ? new AgentFailure(e.code, 'infra') : e;
  }
  try {
    const trainingFile = await ws.writeInput('training.jsonl', ctx.plain);
    ctx.plain.fill(0);
    const env: Record<string, string> = {
      CONFIDE_TRAINING_FILE: trainingFile,
      CONFIDE_OUTPUT_DIR: ws.outputDir,
      CONFIDE_SEED: String(ctx.seed),
      HOME: ws.homeDir,
      TMPDIR: ws.tmpDir,
      ...(typeof hp.n_epochs === 'number' && { CONFIDE_N_EPOCHS: String(hp.n_epochs) }),
      ...(typeof hp.batch_size === 'number' && { CONFIDE_BATCH_SIZE: String(hp.batch_size) }),
      ...(typeof hp.learning_rate_multiplier === 'number' && { CONFIDE_LEARNING_RATE_MULTIPLIER: String(hp.learning_rate_multiplier) }),
    };
    const timeLimitMs = Math.min(spec.timeLimitSeconds ?? 3600, ctx.job.max_duration_seconds) * 1000;
    let flushing: Promise<void> | null = null;
    // A trainer may print a line per micro-step: up to METRIC_BURST events at once, METRIC_RATE per second after
    // that; a step over budget is held and the latest held one is sent at the end, so the final step always shows.
    let tokens = METRIC_BURST;
    let refilledAt = Date.now();
    let held: StepMetric | undefined;
    const emit = (m: StepMetric): void => {
      const extras = Object.entries(m.values ?? {}).slice(0, MAX_EXTRA_VALUES);
      ctx.event('info', 'metrics', `step ${m.step}`, {
        step: m.step,
        ...(m.epoch !== undefined && { epoch: m.epoch }),
        ...(m.loss !== undefined && { train_loss: m.loss }),
        ...(m.accuracy !== undefined && { train_accuracy: m.accuracy }),
        ...(m.examples !== undefined && { examples: m.examples }),
        ...(m.learningRate !== undefined && { learning_rate: m.learningRate }),
        ...Object.fromEntries(extras),
      });
      // Metrics go out as they come, one request in flight at a time.
      flushing ??= ctx.flush().finally(() => (flushing = null));
    };
    const onMetric = (m: TrainingMetricEvent): void => {
      if (m.type !== 'step') return;
      const now = Date.now();
      tokens = Math.min(METRIC_BURST, tokens + ((now - refilledAt) / 1000) * METRIC_RATE);
      refilledAt = now;
      if (tokens >= 1) {
        tokens--;
        held = undefined;
        emit(m);
      } else held = m;
    };
    let result;
    try {
      result = await new CommandTrainer().train(
        { workDir: ws.outputDir },
        {
          command: spec.executable,
          args: spec.args ?? [],
          envAllowList: spec.envAllowList ?? DEFAULT_ENV_ALLOW_LIST,
          ...(ctx.baseEnv && { baseEnv: ctx.baseEnv }),
          env,
          timeLimitMs,
          killGraceMs: spec.killGraceMs ?? 5000,
          maxOutputBytes: spec.maxOutputBytes ?? 256 * 1024 * 1024,
          maxMalformedLines: 0,
        },
        onMetric,
        ctx.signal,
      );
    } catch (e) {
      if (e instanceof TrainingError) {
        if (e.code === 'metric_line_invalid') ctx.event('error', 'message', e.message, { code: e.code, line: Number(e.target?.split(':')[1] ?? 0) });
        throw new AgentFailure(e.code, e.code === 'command_spawn_failed' ? 'infra' : 'user');
      }
      throw e;
    }
    if (held) emit(held);
    await flushing;
    let payload: Buffer;
    try {
      payload = await packCommandOutput(ws.outputDir, result);
    } catch (e) {
      if (e instanceof TrainingError) throw new AgentFailure(e.code, 'user');
      throw e;
    }
    return { payload, format: COMMAND_BUNDLE_FORMAT, digest: createHash('sha256').update(payload).digest('hex'), summary: result.summary };
  } finally {
    ctx.plain.fill(0);
    await ws.wipe();
  }
}

/**
 * What a job's `command_sha256` pins: SHA-256 over the executable's bytes followed by the bytes of every argument
 * that is an absolute path to a regular file, in order — for an interpreter (`/usr/bin/python3 /opt/train.py`) the
 * script is the code that sees the data, so it is covered too. `sha256sum`-style: `cat exe script | sha256sum`.
 */
export async function commandDigest(executable: string, args: readonly string[]): Promise<string> {
  const files = [executable];
  for (const a of args) if (isAbsolute(a) && (await stat(a).then((st) => st.isFile(), () => false))) files.push(a);
  // Cached by the files' identities (device, inode, size, mtime, ctime): an interpreter is 100 MB and rarely changes.
  const ids: string[] = [];
  for (const f of files) {
    const st = await stat(f, { bigint: true });
    ids.push(`${f}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
  }
  const key = ids.join('\n');
  const cached = digests.get(key);
  if (cached) return cached;
  const h = createHash('sha256');
  for (const f of files) for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
  const digest = h.digest('hex');
  digests.set(key, digest);
  return digest;
}

const digests = new Map<string, string>();
