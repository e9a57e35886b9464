import { createHash } from 'node:crypto';
import type { LeaseAssignment } from '@confide/contracts';
import { DataKey, openBuffer, sealBuffer } from '@confide/envelope';
import { TEE_KEY_CURVE } from '@confide/keybroker';
import { labeledExampleFromRecord, TEXT_CLASSIFIER_FORMAT, TextClassifierTrainer, type LabeledExample, type TrainingMetricEvent } from '@confide/training';
import { compactDecrypt, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { AgentFailure } from './agent-failure.js';
import type { NodeCommands } from './command/command-config.js';
import { runCommandLease } from './command/command-lease.js';
import { evidenceToAttestWire, type EvidenceProvider } from './evidence/evidence-provider.js';
import { NodeApiError, type NodeApiClient } from './node-api.client.js';
import { runFheLogRegLease } from './runners/fhe-logreg.runner.js';
import type { LeaseContext, LeasePhase } from './runners/lease-context.js';
import { agentTrainers, type AgentTrainers } from './runners/trainer-registry.js';

export type { LeasePhase } from './runners/lease-context.js';
export type StopReason = 'cancel' | 'abandon' | 'shutdown';

export interface LeaseRunnerOptions {
  /** Feature dimension of the text classifier (model size = dimension × classes × 4 bytes). */
  readonly hashingDimension?: number;
  /** External trainers this node allows (`trainer: command`); none by default. */
  readonly commands?: NodeCommands;
  /** tmpfs under which a `command` lease gets its workspace (default /dev/shm). */
  readonly commandWorkspaceRoot?: string;
  /** Trainers by job `trainer` name (defaults: the real ones). */
  readonly trainers?: AgentTrainers;
  readonly log: (msg: string, data?: Record<string, string | number | boolean>) => void;
}

class Stopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`stopped: ${reason}`);
  }
}

/**
 * One lease from `start` to `complete`, inside the TEE: ephemeral TEE key → challenge → evidence → attest →
 * release (DEK as JWE to the TEE key) → sealed training file opened in memory (never a plaintext file) → train →
 * metrics as lease events/checkpoints → output sealed with an output DEK that only the enterprise can unwrap →
 * complete with this lease's epoch. `cancel` stops and completes `cancelled`; `abandon` (fenced) stops silently.
 */
export class LeaseRunner {
  phase: LeasePhase = 'provisioning';
  readonly done: Promise<void>;
  private readonly abort = new AbortController();
  private stopReason: StopReason | null = null;
  private pending: Array<{ level: 'info' | 'warn' | 'error'; type: 'message' | 'metrics'; message: string; data: Record<string, number | string | boolean | null> }> = [];

  constructor(
    readonly lease: LeaseAssignment,
    private readonly nodeId: string,
    private readonly api: NodeApiClient,
    private readonly evidence: EvidenceProvider,
    private readonly o: LeaseRunnerOptions,
  ) {
    this.done = this.run();
  }

  get epoch(): number {
    return this.lease.epoch;
  }

  stop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.abort.abort(new Stopped(reason));
  }

  private get base(): string {
    return `/scheduler/v1/nodes/${this.nodeId}/leases/${this.lease.id}`;
  }

  private check(): void {
    if (this.stopReason) throw new Stopped(this.stopReason);
  }

  private async run(): Promise<void> {
    const job = this.lease.job;
    const jobId = this.lease.job_id;
    const epoch = this.lease.epoch;
    const secrets: Uint8Array[] = [];
    try {
      if (!job) throw new AgentFailure('lease_without_job', 'infra');
      if (job.trainer === 'fhe-logreg') {
        // Ciphertexts only: runs on any node, with or without a TEE (runners/fhe-logreg.runner.ts).
        await runFheLogRegLease(this.context(), (this.o.trainers ?? agentTrainers())['fhe-logreg']);
        return;
      }
      if (job.trainer !== 'text-classifier' && job.trainer !== 'command') throw new AgentFailure('trainer_not_supported', 'user');
      if (this.evidence.teeType === 'none') throw new AgentFailure('tee_required', 'infra');

      // 1. Attest an ephemeral key made for this lease.
      this.phase = 'attesting';
      const tee = await generateKeyPair('ECDH-ES+A256KW', { crv: TEE_KEY_CURVE, extractable: false });
      const { kty, crv, x, y } = await exportJWK(tee.publicKey);
      const teeJwk = { kty: kty as 'EC', crv: crv as typeof TEE_KEY_CURVE, x: x!, y: y! };
      const { nonce } = await this.api.json<{ nonce: string }>('POST', '/attestation/v1/challenge', { job_id: jobId, lease_epoch: epoch });
      const ev = await this.evidence.collect(Buffer.from(nonce, 'hex'), teeJwk);
      this.check();
      const attested = await this.api.json<{ attestation_result: string; report_id: string; status: string }>('POST', '/attestation/v1/attest', { nonce, tee_public_jwk: teeJwk, evidence: evidenceToAttestWire(ev) });
      this.event('info', 'message', 'Attested', { report_id: attested.report_id, status: attested.status, tee_type: this.evidence.teeType, evidence: this.evidence.name });

      // 2. Key release to that key, and the sealed training file.
      this.phase = 'key_release';
      const inputs = await this.api.json<{ training_file: { dataset_id: string; key_id: string } }>('GET', `/v1/fine_tuning/jobs/${jobId}/node/inputs?lease_epoch=${epoch}`);
      const released = await this.api.json<{ jwe: string }>('POST', `/attestation/v1/keys/${inputs.training_file.key_id}/release`, { attestation_result: attested.attestation_result, job_id: jobId, lease_epoch: epoch });
      const dek = await openJwe(released.jwe, tee.privateKey);
      secrets.push(dek);
      this.check();
      const sealed = await this.api.bytes('GET', `/v1/fine_tuning/jobs/${jobId}/node/training_file?lease_epoch=${epoch}`);
      // In memory only: the plaintext never touches a file.
      const plain = await openBuffer(sealed, { dek: (ref) => DataKey.fromBytes(ref.keyId, ref.keyVersion, dek), context: { tenantId: this.lease.tenant_id, datasetId: inputs.training_file.dataset_id } });
      secrets.push(plain);
      dek.fill(0);
      if (job.trainer === 'command') {
        await this.runCommand(plain, teeJwk, tee.privateKey, secrets);
        return;
      }
      const examples = parseExamples(plain);
      plain.fill(0);
      this.event('info', 'message', 'Training data opened in enclave memory', { examples: examples.length });

      // 3. Train, streaming metrics.
      this.phase = 'training';
      const hp = job.hyperparameters as { n_epochs?: number | 'auto'; batch_size?: number | 'auto'; learning_rate_multiplier?: number | 'auto' };
      const seed = job.seed ?? seedOf(jobId);
      const result = await new TextClassifierTrainer().train(
        examples,
        {
          seed,
          epochs: typeof hp.n_epochs === 'number' ? hp.n_epochs : 10,
          ...(typeof hp.batch_size === 'number' ? { batchSize: hp.batch_size } : {}),
          ...(typeof hp.learning_rate_multiplier === 'number' ? { learningRate: 0.05 * hp.learning_rate_multiplier } : {}),
          hashing: { dimension: this.o.hashingDimension ?? 1 << 16 },
          yieldEverySteps: 2,
        },
        (m) => this.metric(m),
        this.abort.signal,
      );
      this.check();
      await this.flush();
      const v = result.summary.validation;
      this.event('info', 'metrics', 'Training finished', {
        steps: result.summary.steps,
        epochs: result.summary.epochs,
        ...(v ? { validation_accuracy: round(v.accuracy), baseline_accuracy: round(v.baselineAccuracy), validation_loss: round(v.loss), validation_examples: v.examples } : {}),
        model_sha256: result.digest,
      });

      await this.sealAndComplete({ bytes: result.model, format: TEXT_CLASSIFIER_FORMAT, digest: result.digest, trainedTokens: result.summary.examplesSeen }, teeJwk, tee.privateKey, secrets);
    } catch (e) {
      await this.finish(e);
    } finally {
      for (const s of secrets) s.fill(0);
    }
  }

  /** The `command` trainer (command/command-lease.ts): tmpfs workspace, external process, output bundle. */
  private async runCommand(plain: Buffer, teeJwk: TeeJwk, teeKey: CryptoKey, secrets: Uint8Array[]): Promise<void> {
    this.phase = 'training';
    const out = await runCommandLease({
      leaseId: this.lease.id,
      job: this.lease.job!,
      seed: this.lease.job!.seed ?? seedOf(this.lease.job_id),
      plain,
      commands: this.o.commands ?? {},
      workspaceRoot: this.o.commandWorkspaceRoot ?? '/dev/shm',
      signal: this.abort.signal,
      event: (level, type, message, data) => this.event(level, type, message, data),
      flush: () => this.flush(),
    });
    this.check();
    this.event('info', 'metrics', 'Training finished', { steps: out.summary.steps, ...(out.summary.finalLoss !== undefined ? { train_loss: round(out.summary.finalLoss) } : {}), model_sha256: out.digest });
    await this.flush();
    await this.sealAndComplete({ bytes: out.payload, format: out.format, digest: out.digest, trainedTokens: 0 }, teeJwk, teeKey, secrets);
  }

  /** Seals the output to the enterprise (an output DEK only its keyring can unwrap afterwards), uploads it, completes. */
  private async sealAndComplete(output: { bytes: Uint8Array; format: string; digest: string; trainedTokens: number }, teeJwk: TeeJwk, teeKey: CryptoKey, secrets: Uint8Array[]): Promise<void> {
    const jobId = this.lease.job_id;
    const epoch = this.lease.epoch;
    this.phase = 'sealing_output';
    const outKey = await this.api.json<{ key_id: string; jwe: string }>('POST', `/v1/fine_tuning/jobs/${jobId}/node/output_key`, { lease_epoch: epoch, tee_public_jwk: teeJwk });
    const outDek = await openJwe(outKey.jwe, teeKey);
    secrets.push(outDek);
    const key = DataKey.fromBytes(outKey.key_id, 1, outDek);
    outDek.fill(0);
    const sealed = sealBuffer(output.bytes, { dek: key, context: { tenantId: this.lease.tenant_id, datasetId: `${jobId}#output` } });
    key.destroy();
    await this.api.bytes('PUT', `/v1/fine_tuning/jobs/${jobId}/node/output?lease_epoch=${epoch}&format=${encodeURIComponent(output.format)}&model_sha256=${output.digest}`, sealed);
    await this.flush();
    this.check();
    const outputSha = createHash('sha256').update(sealed).digest('hex');
    await this.api.json('POST', `${this.base}/complete`, { epoch, outcome: 'succeeded', result: { output_sha256: outputSha, trained_tokens: output.trainedTokens, result_files: ['model.sealed'] } });
    this.o.log('lease completed', { lease: this.lease.id, epoch });
  }

  /** What a per-trainer runner needs of this lease. */
  private context(): LeaseContext {
    return {
      lease: this.lease,
      api: this.api,
      base: this.base,
      signal: this.abort.signal,
      setPhase: (phase) => {
        this.phase = phase;
      },
      check: () => this.check(),
      event: (level, type, message, data) => this.event(level, type, message, data),
      flush: () => this.flush(),
      onApiError: (e) => this.onApiError(e),
      log: (msg, data) => this.o.log(msg, data),
    };
  }

  private async finish(e: unknown): Promise<void> {
    const epoch = this.lease.epoch;
    const stopped = e instanceof Stopped ? e.reason : this.stopReason;
    if (stopped === 'abandon' || stopped === 'shutdown' || (e instanceof NodeApiError && e.fenced)) {
      this.o.log('lease abandoned', { lease: this.lease.id, epoch });
      return;
    }
    try {
      if (stopped === 'cancel') {
        await this.api.json('POST', `${this.base}/complete`, { epoch, outcome: 'cancelled' });
        this.o.log('lease cancelled', { lease: this.lease.id, epoch });
        return;
      }
      const failure = e instanceof AgentFailure ? e : new AgentFailure(e instanceof NodeApiError ? `api_${e.code}`.slice(0, 64).replace(/[^a-z_]/g, '_') : 'node_error', 'infra');
      this.o.log('lease failed', { lease: this.lease.id, epoch, code: failure.code });
      await this.api.json('POST', `${this.base}/complete`, { epoch, outcome: 'failed', error: { code: failure.code, kind: failure.kind } });
    } catch (err) {
      this.o.log('lease completion refused', { lease: this.lease.id, epoch, status: err instanceof NodeApiError ? err.status : 0 });
    }
  }

  /** Aggregates only (loss, accuracy, counts): never a sample of the data. */
  private metric(m: TrainingMetricEvent): void {
    if (m.type === 'step' && m.step % 10 === 0) this.event('info', 'metrics', `step ${m.step}`, { step: m.step, ...(m.epoch !== undefined ? { epoch: m.epoch } : {}), ...(m.loss !== undefined ? { train_loss: round(m.loss) } : {}), ...(m.accuracy !== undefined ? { train_accuracy: round(m.accuracy) } : {}) });
    if (m.type === 'epoch') {
      const metrics = { train_loss: round(m.trainLoss), ...(m.validationLoss !== undefined ? { validation_loss: round(m.validationLoss) } : {}), ...(m.validationAccuracy !== undefined ? { validation_accuracy: round(m.validationAccuracy) } : {}) };
      this.event('info', 'metrics', `epoch ${m.epoch}`, { epoch: m.epoch, step: m.step, ...metrics });
      void this.api.json('POST', `${this.base}/checkpoints`, { epoch: this.lease.epoch, step_number: m.step, metrics }).catch((e: unknown) => this.onApiError(e));
      void this.flush();
    }
  }

  private event(level: 'info' | 'warn' | 'error', type: 'message' | 'metrics', message: string, data: Record<string, number | string | boolean | null>): void {
    this.pending.push({ level, type, message, data });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, 100);
      try {
        await this.api.json('POST', `${this.base}/events`, { epoch: this.lease.epoch, events: batch });
      } catch (e) {
        this.onApiError(e);
        return;
      }
    }
  }

  private onApiError(e: unknown): void {
    if (e instanceof NodeApiError && e.fenced) this.stop('abandon');
  }
}

type TeeJwk = { kty: 'EC'; crv: typeof TEE_KEY_CURVE; x: string; y: string };

async function openJwe(jwe: string, key: CryptoKey): Promise<Uint8Array> {
  const { plaintext } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: ['A256GCM'] });
  return plaintext;
}

function parseExamples(plain: Buffer): LabeledExample[] {
  const out: LabeledExample[] = [];
  let n = 0;
  for (const line of plain.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    n++;
    const record = JSON.parse(line) as unknown;
    const shape = record && typeof record === 'object' && 'messages' in record ? ({ kind: 'chat' } as const) : ({ kind: 'prompt_completion' } as const);
    out.push(labeledExampleFromRecord(record, shape, n));
  }
  return out;
}

function seedOf(jobId: string): number {
  return createHash('sha256').update(`confide-seed.v1:${jobId}`, 'utf8').digest().readUInt32BE(0) & 0x7fffffff;
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;
