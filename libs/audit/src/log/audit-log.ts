import { canonicalJson } from '@confide/domain';
import type { AuditRepository, PendingAuditRow, StoredCheckpoint, StoredEntry } from '@confide/persistence';
import type { EntityManager } from 'typeorm';
import { checkpointVerifier, type Checkpoint } from '../checkpoint/signed-note.js';
import { CompactRange, consistencyRanges, HASH_SIZE, inclusionRanges, leafHash, rangeHash, rangeKeys, type SubtreeKey } from '../merkle/merkle.js';
import type { AuditKeys } from './audit-keys.js';
import { assertValidInput, type AuditInput, type AuditRecord } from './audit-entry.js';

export interface SignedCheckpoint {
  readonly size: number;
  readonly root: string;
  readonly time: string;
  readonly note: string;
}

export class AuditLogError extends Error {
  constructor(
    readonly code: 'index_out_of_range' | 'size_out_of_range',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The deployment's append-only audit log: one RFC 6962 Merkle tree, appended inside the caller's transaction
 * (so an action and its audit entry commit or fail together), with signed checkpoints and proofs.
 */
export class AuditLog {
  constructor(
    private readonly repo: AuditRepository,
    private readonly keys: AuditKeys,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get verifierKey(): string {
    return this.keys.signer.verifierKey;
  }

  get origin(): string {
    return this.keys.origin;
  }

  hmac(value: string): string {
    return this.keys.hmac(value);
  }

  /**
   * Records an action within `em`'s transaction: the record is queued there (one INSERT, no tree lock), so it commits
   * or rolls back with the action; if it cannot be written, the action fails. The integrator later gives it a leaf
   * index and hashes it into the tree (see `integrate`); proofs exist from then on.
   */
  async append(em: EntityManager, input: AuditInput): Promise<{ queued: number }> {
    const row = this.prepare(input);
    if (!em.queryRunner?.isTransactionActive) throw new Error('audit entries must be written inside the action\'s transaction');
    return { queued: await this.repo.enqueue(em, row) };
  }

  /**
   * The queue row of a record, validated and serialised now, for an action whose own writes and this row go to the
   * database in one statement (`AuditRepository.pendingInsert`): the caller makes sure the two commit or fail together.
   */
  prepare(input: AuditInput): PendingAuditRow {
    assertValidInput(input);
    const time = this.now();
    const record: Omit<AuditRecord, 'index'> = {
      v: 1,
      time: time.toISOString(),
      tenant: input.tenantId,
      actor: input.actor,
      action: input.action,
      resource: input.resource ?? null,
      outcome: input.outcome,
      reason: input.reason ?? null,
      details: input.details ?? {},
      sensitive: Object.fromEntries(Object.entries(input.sensitive ?? {}).map(([k, v]) => [k, this.keys.hmac(v)])),
    };
    return { tenantId: input.tenantId, action: input.action, createdAt: time, payload: canonicalJson(record) };
  }

  /**
   * Moves up to `limit` queued records into the tree, in queue order, in one transaction: assigns leaf indices,
   * writes the canonical records (which include their index), the completed subtrees and the new head. Only one
   * integrator runs at a time per deployment; returns how many records it integrated (0 if another holds the lock).
   */
  async integrate(limit = 5000): Promise<number> {
    return this.repo.transaction(async (em) => {
      if (!(await this.repo.tryBecomeIntegrator(em))) return 0;
      const pending = await this.repo.takePending(em, limit);
      if (pending.length === 0) return 0;
      const head = await this.repo.lockHead(em);
      const range = new CompactRange(head.size, splitEdge(head.edge));
      const entries: StoredEntry[] = [];
      const nodes: Array<{ level: number; index: number; hash: Buffer }> = [];
      for (const p of pending) {
        const index = range.size;
        const canonical = canonicalJson({ ...(JSON.parse(p.payload) as object), index });
        const hash = leafHash(Buffer.from(canonical, 'utf8'));
        nodes.push(...range.append(hash));
        entries.push({ leafIndex: index, tenantId: p.tenantId, action: p.action, createdAt: p.createdAt, canonical, leafHash: hash });
      }
      await this.repo.appendLeaves(em, entries, nodes, { size: range.size, root: range.root(), edge: Buffer.concat(range.edge) });
      return entries.length;
    });
  }

  /**
   * Integrates every record committed before the call: until one integration takes a partial batch (it took all it
   * could see) or finds the queue empty. A stream of new actions does not keep it going (records queued after that
   * last integration wait for the integrator). Retries for a while if another process holds the integrator lock.
   */
  async drain(limit = 5000): Promise<void> {
    for (let idle = 0; idle < 50; ) {
      const n = await this.integrate(limit);
      if (n >= limit) {
        idle = 0;
        continue;
      }
      if (n > 0 || (await this.repo.countPending()) === 0) return;
      idle += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Signs the current tree head if it grew since the last checkpoint; returns the newest checkpoint. */
  async checkpoint(): Promise<SignedCheckpoint> {
    await this.drain();
    const [head, latest] = await Promise.all([this.repo.readHead(), this.repo.latestCheckpoint()]);
    if (latest && latest.size >= head.size) return toSigned(latest);
    const cp: Checkpoint = { origin: this.keys.origin, size: head.size, root: head.root, time: this.now() };
    const stored = await this.repo.saveCheckpoint({ size: cp.size, root: cp.root, signedAt: cp.time, note: this.keys.signer.signCheckpoint(cp) });
    return toSigned(stored);
  }

  async checkpoints(after: number, limit: number): Promise<SignedCheckpoint[]> {
    return (await this.repo.listCheckpoints(after, limit)).map(toSigned);
  }

  async size(): Promise<number> {
    return (await this.repo.readHead()).size;
  }

  async inclusionProof(index: number, size: number): Promise<{ leafHash: string; proof: string[] }> {
    await this.assertSize(size);
    if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) {
      throw new AuditLogError('index_out_of_range', `index must be in [0, ${size})`);
    }
    const ranges = inclusionRanges(index, size);
    const read = await this.reader([[index, index + 1], ...ranges]);
    return {
      leafHash: read({ level: 0, index }).toString('base64'),
      proof: ranges.map(([a, b]) => rangeHash(a, b, read).toString('base64')),
    };
  }

  async consistencyProof(from: number, to: number): Promise<string[]> {
    await this.assertSize(to);
    if (!(Number.isSafeInteger(from) && from >= 1 && from <= to)) {
      throw new AuditLogError('size_out_of_range', `from must be in [1, ${to}]`);
    }
    const ranges = consistencyRanges(from, to);
    const read = await this.reader(ranges);
    return ranges.map(([a, b]) => rangeHash(a, b, read).toString('base64'));
  }

  /** Root of the tree at any past size, computed from stored subtrees. */
  async rootAt(size: number): Promise<Buffer> {
    await this.assertSize(size);
    if (size === 0) return Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex');
    const read = await this.reader([[0, size]]);
    return rangeHash(0, size, read);
  }

  entries(tenantId: string | undefined, after: number, limit: number): Promise<StoredEntry[]> {
    return this.repo.listEntries(tenantId, after, limit);
  }

  entry(index: number): Promise<StoredEntry | null> {
    return this.repo.findEntry(index);
  }

  leaves(start: number, limit: number): Promise<Array<{ index: number; hash: Buffer }>> {
    return this.repo.leafHashes(start, limit);
  }

  /** Opens a note with this log's own key (used to check stored checkpoints at start-up). */
  openCheckpoint(note: string): Checkpoint {
    return checkpointVerifier(this.keys.signer.verifierKey)(note);
  }

  private async assertSize(size: number): Promise<void> {
    const current = await this.size();
    if (!(Number.isSafeInteger(size) && size >= 0 && size <= current)) {
      throw new AuditLogError('size_out_of_range', `size must be in [0, ${current}]`);
    }
  }

  private async reader(ranges: ReadonlyArray<readonly [number, number]>): Promise<(k: SubtreeKey) => Buffer> {
    const keys: SubtreeKey[] = [];
    for (const [a, b] of ranges) rangeKeys(a, b, keys);
    const nodes = await this.repo.readNodes(keys);
    const byKey = new Map(nodes.map((n) => [`${n.level}:${n.index}`, n.hash]));
    return (k) => {
      const h = byKey.get(`${k.level}:${k.index}`);
      if (!h) throw new Error(`audit node ${k.level}:${k.index} is missing from storage`);
      return h;
    };
  }
}

function splitEdge(edge: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < edge.length; i += HASH_SIZE) out.push(edge.subarray(i, i + HASH_SIZE));
  return out;
}

function toSigned(cp: StoredCheckpoint): SignedCheckpoint {
  return { size: cp.size, root: cp.root.toString('base64'), time: cp.signedAt.toISOString(), note: cp.note };
}
