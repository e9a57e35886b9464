import { sha256Hex } from '../common/sha256.js';
import type { MetricListener, Trainer, TrainingResult } from '../trainer.js';
import { TrainingError } from '../training.error.js';
import { runCommand, type CommandRunOptions } from './command.runner.js';

export const COMMAND_OUTPUT_FORMAT = 'application/vnd.confide.command-output+json';

export interface CommandTrainerInput {
  /** tmpfs directory holding the decrypted dataset; the trainer runs here and its outputs are captured from here. */
  readonly workDir: string;
}

export type CommandTrainerOptions = Omit<CommandRunOptions, 'workDir'>;

/**
 * The `command` trainer: an external process inside the TEE. Its result `model` is a manifest (JSON, keys in a
 * fixed order, outputs sorted by path) listing every file it wrote with size and SHA-256, so the manifest's digest
 * commits to all of them; the agent seals the manifest and the listed files. A non-zero exit, the time limit or a
 * cancellation is an error with its own code.
 */
export class CommandTrainer implements Trainer<CommandTrainerInput, CommandTrainerOptions> {
  readonly name = 'command';

  async train(input: CommandTrainerInput, options: CommandTrainerOptions, onMetric?: MetricListener, signal?: AbortSignal): Promise<TrainingResult> {
    const run = await runCommand({ ...options, workDir: input.workDir }, onMetric, signal);
    switch (run.status) {
      case 'succeeded':
        break;
      case 'failed':
        throw new TrainingError('command_failed', 'the trainer process failed', undefined, `exit ${run.exitCode ?? run.signal}`);
      case 'timed_out':
        throw new TrainingError('command_timed_out', 'the trainer process exceeded its time limit');
      case 'cancelled':
        throw new TrainingError('command_cancelled', 'the trainer process was cancelled');
      case 'invalid_output': {
        // Names the line and why, never its content (it may echo training data).
        const line = run.invalidLine!;
        throw new TrainingError('metric_line_invalid', `stdout line ${line.line} is not a metric line (${line.reason})`, `stdout:${line.line}`);
      }
    }
    const outputs = [...run.outputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest = new TextEncoder().encode(
      JSON.stringify({ format: 'confide.command-output.v1', outputs: outputs.map((o) => ({ path: o.path, size: o.size, sha256: o.sha256 })) }),
    );
    return {
      model: manifest,
      digest: sha256Hex(manifest),
      format: COMMAND_OUTPUT_FORMAT,
      outputs,
      summary: {
        steps: run.steps,
        epochs: run.lastStep?.epoch ?? 0,
        examplesSeen: 0,
        ...(run.lastStep?.loss !== undefined && { finalLoss: run.lastStep.loss }),
        malformedLines: run.malformedLines,
      },
    };
  }
}
