import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bindingReportData, type CompositeEvidence, type TeePublicJwk } from '@confide/attestation';
import type { EvidenceProvider } from './evidence-provider.js';

export const CONFIGFS_TSM_REPORT = '/sys/kernel/config/tsm/report';

/** GUID of the VCEK entry in the SNP extended-report certificate table (GHCB spec, table "Certificate Table"). */
const VCEK_GUID = '63da758d-e664-4564-adc5-f4b93be8accd';
const VLEK_GUID = 'a8074bc2-a25a-483e-aae6-39c045a0b8a1';

/**
 * Linux configfs-tsm (drivers/virt/coco/tsm.c, since 6.7): one report per directory under
 * /sys/kernel/config/tsm/report. `mkdir` an entry, write the 64 report-data bytes to `inblob`, read `outblob`
 * (SNP ATTESTATION_REPORT or TDX quote), `auxblob` (SNP certificate table) and `provider` (`sev_guest` or
 * `tdx_guest`); `generation` guards against a concurrent writer of the same entry. GPU evidence is not collected
 * here (the H100 CC path goes through NVIDIA's SPDM tooling); the report data binds an empty GPU list.
 */
export class ConfigfsTsmEvidenceProvider implements EvidenceProvider {
  readonly name = 'configfs-tsm';
  constructor(
    readonly teeType: 'sev-snp' | 'tdx',
    private readonly root: string = CONFIGFS_TSM_REPORT,
    private readonly o: { readonly pollMs?: number; readonly timeoutMs?: number } = {},
  ) {}

  async collect(nonce: Uint8Array, teePublicJwk: TeePublicJwk): Promise<CompositeEvidence> {
    const reportData = bindingReportData(nonce, teePublicJwk, []);
    const dir = join(this.root, `confide-${randomUUID()}`);
    await mkdir(dir);
    try {
      const before = await this.generation(dir);
      await writeFile(join(dir, 'inblob'), reportData);
      const outblob = await this.readBlob(dir, 'outblob');
      const provider = (await readFile(join(dir, 'provider'), 'utf8')).trim();
      const after = await this.generation(dir);
      // Each inblob write bumps generation by one; anything else means another writer raced us.
      if (before !== null && after !== null && after !== before + 1) throw new Error('configfs-tsm: report entry was written concurrently');
      const format = provider === 'sev_guest' ? 'sev-snp' : provider === 'tdx_guest' ? 'tdx' : null;
      if (!format) throw new Error(`configfs-tsm: unknown provider ${provider.slice(0, 32)}`);
      if (format !== this.teeType) throw new Error(`configfs-tsm: provider is ${format}, node is ${this.teeType}`);
      if (format === 'tdx') return { cpu: { format: 'tdx', evidence: new Uint8Array(outblob) }, gpus: [], teePublicJwk };
      const aux = await readFile(join(dir, 'auxblob')).catch(() => Buffer.alloc(0));
      return { cpu: { format: 'sev-snp', evidence: new Uint8Array(outblob), certificates: snpEndorsementCerts(aux) }, gpus: [], teePublicJwk };
    } finally {
      await rmdir(dir).catch(() => undefined);
    }
  }

  private async generation(dir: string): Promise<number | null> {
    const text = await readFile(join(dir, 'generation'), 'utf8').catch(() => null);
    return text === null ? null : Number.parseInt(text.trim(), 10);
  }

  /** The kernel produces outblob on read; EAGAIN/EBUSY (or ENOENT on slow emulations) are retried briefly. */
  private async readBlob(dir: string, name: string): Promise<Buffer> {
    const end = Date.now() + (this.o.timeoutMs ?? 10_000);
    for (;;) {
      try {
        const b = await readFile(join(dir, name));
        if (b.length > 0) return b;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'EAGAIN' && code !== 'EBUSY') throw e;
      }
      if (Date.now() > end) throw new Error(`configfs-tsm: no ${name}`);
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 10));
    }
  }
}

/**
 * The VCEK/VLEK from an SNP certificate table: entries of GUID (16 bytes, mixed-endian like EFI GUIDs), offset
 * (u32 LE), length (u32 LE), ended by an all-zero entry; offsets are from the start of the table.
 */
export function snpEndorsementCerts(table: Uint8Array): Uint8Array[] {
  const b = Buffer.from(table);
  const out: Uint8Array[] = [];
  for (let at = 0; at + 24 <= b.length; at += 24) {
    const guid = b.subarray(at, at + 16);
    if (guid.every((x) => x === 0)) break;
    const offset = b.readUInt32LE(at + 16);
    const length = b.readUInt32LE(at + 20);
    const id = guidToString(guid);
    if ((id === VCEK_GUID || id === VLEK_GUID) && offset + length <= b.length && length > 0) out.push(new Uint8Array(b.subarray(offset, offset + length)));
  }
  return out;
}

export function guidToString(g: Uint8Array): string {
  const b = Buffer.from(g);
  const hex = (x: Buffer) => x.toString('hex');
  return [hex(Buffer.from(b.subarray(0, 4)).reverse()), hex(Buffer.from(b.subarray(4, 6)).reverse()), hex(Buffer.from(b.subarray(6, 8)).reverse()), hex(b.subarray(8, 10)), hex(b.subarray(10, 16))].join('-');
}

export function guidToBytes(s: string): Buffer {
  const [a, b, c, d, e] = s.split('-') as [string, string, string, string, string];
  return Buffer.concat([Buffer.from(a, 'hex').reverse(), Buffer.from(b, 'hex').reverse(), Buffer.from(c, 'hex').reverse(), Buffer.from(d, 'hex'), Buffer.from(e, 'hex')]);
}
