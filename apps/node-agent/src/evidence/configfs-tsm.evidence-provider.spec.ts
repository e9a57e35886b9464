import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompositeVerifier, SimulatedAttester, bindingReportData } from '@confide/attestation';
import { ConfigfsTsmEvidenceProvider, guidToBytes, snpEndorsementCerts } from './configfs-tsm.evidence-provider.js';

/**
 * A fake /sys/kernel/config/tsm/report: a poller plays the kernel — for each new entry whose inblob was written it
 * produces a real (dev-PKI-signed) SNP report over exactly those 64 bytes, the certificate table with the VCEK,
 * `provider` and `generation`. The provider under test runs its real code path against it, and the result verifies.
 */
describe('configfs-tsm evidence provider', () => {
  let root: string;
  let attester: SimulatedAttester;
  let kernel: NodeJS.Timeout;
  const pki = mkdtempSync(join(tmpdir(), 'confide-tsm-pki-'));

  beforeAll(async () => {
    attester = await SimulatedAttester.loadOrCreate(pki);
  }, 60_000);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'confide-tsm-'));
    let busy = false;
    kernel = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        for (const entry of readdirSync(root)) {
          const dir = join(root, entry);
          if (!existsSync(join(dir, 'generation'))) writeFileSync(join(dir, 'generation'), '0\n');
          if (!existsSync(join(dir, 'inblob')) || existsSync(join(dir, 'outblob'))) continue;
          const reportData = readFileSync(join(dir, 'inblob'));
          // The real kernel takes inblob in one write; this fake may look while the file is still being written.
          if (reportData.length !== 64) continue;
          const snp = await attester.snpReport({ reportData: new Uint8Array(reportData) });
          const header = Buffer.alloc(48);
          guidToBytes('63da758d-e664-4564-adc5-f4b93be8accd').copy(header, 0);
          header.writeUInt32LE(48, 16);
          header.writeUInt32LE(snp.vcek.length, 20);
          writeFileSync(join(dir, 'auxblob'), Buffer.concat([header, Buffer.from(snp.vcek)]));
          writeFileSync(join(dir, 'provider'), 'sev_guest\n');
          writeFileSync(join(dir, 'generation'), '1\n');
          writeFileSync(join(dir, 'outblob'), Buffer.from(snp.report));
        }
      })().finally(() => (busy = false));
    }, 5);
  });
  afterEach(() => {
    clearInterval(kernel);
    rmSync(root, { recursive: true, force: true });
  });
  afterAll(() => rmSync(pki, { recursive: true, force: true }));

  const key = { kty: 'EC' as const, crv: 'P-384' as const, x: 'kS9wBEd8j9xKcmq0ppPo2Xq0QNRU6g0cd9I7bSx3a3O6E9iX4yd1A1Yt6oS9dVvN', y: 'UH9n4Fh3C1qxwVfMTyMGE8xIsV7DmqmySUt8o44hRk0XJc54y6sN8wqUSoSmbQ3M' };

  it('writes the binding report data to inblob and returns an SNP report + VCEK that verify for that nonce and key', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const jwk = (await exportJWK(publicKey)) as typeof key;
    const nonce = new Uint8Array(32).fill(7);
    const p = new ConfigfsTsmEvidenceProvider('sev-snp', root);
    const e = await p.collect(nonce, jwk);
    expect(e.cpu.format).toBe('sev-snp');
    expect(Buffer.from(e.cpu.evidence).subarray(0x50, 0x90)).toEqual(Buffer.from(bindingReportData(nonce, jwk, [])));
    expect(e.cpu.certificates).toHaveLength(1);
    const v = await new CompositeVerifier({ simulatedAnchors: attester.anchors }).verify(e, { nonce, at: new Date(), allowSimulated: true });
    expect(v.simulated).toBe(true);
    // The entry is removed afterwards (rmdir of a configfs item releases it).
    expect(readdirSync(root).filter((d) => existsSync(join(root, d, 'inblob')) && !existsSync(join(root, d, 'outblob')))).toEqual([]);
  }, 30_000);

  it('refuses a provider of another TEE type', async () => {
    const p = new ConfigfsTsmEvidenceProvider('tdx', root);
    await expect(p.collect(new Uint8Array(32), key)).rejects.toThrow(/provider is sev-snp/);
  }, 30_000);

  it('reads only VCEK/VLEK entries of a certificate table and stops at the zero entry', () => {
    const ark = Buffer.from('ark-cert');
    const vcek = Buffer.from('vcek-cert');
    const t = Buffer.alloc(24 * 3);
    guidToBytes('c0b406a4-a803-4952-9743-3fb6014cd0ae').copy(t, 0); // ARK
    t.writeUInt32LE(72, 16);
    t.writeUInt32LE(ark.length, 20);
    guidToBytes('63da758d-e664-4564-adc5-f4b93be8accd').copy(t, 24);
    t.writeUInt32LE(72 + ark.length, 40);
    t.writeUInt32LE(vcek.length, 44);
    const table = Buffer.concat([t, ark, vcek]);
    expect(snpEndorsementCerts(table).map((c) => Buffer.from(c).toString())).toEqual(['vcek-cert']);
  });
});
