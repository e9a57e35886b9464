import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { WebCryptoProvider } from '@confide/crypto';

import { certificatesFromPemOrDer, parseCertificate, verifyCertificateChain } from '../common/index.js';
import { NVIDIA_DEVICE_IDENTITY_ROOT_PEM } from '../nvidia/nvidia-trust-anchors.js';
import { AMD_TRUST_ANCHORS } from './amd-trust-anchors.js';

const ROOTS = new URL('../../../../attestation/roots/', import.meta.url);
const FIXTURES = new URL('../../../../test/fixtures/attestation/', import.meta.url);
const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const crypto = new WebCryptoProvider();

interface RootEntry {
  readonly file: string;
  readonly sha256: string;
  readonly source: string;
  readonly upstream: string;
}
const manifest = JSON.parse(readFileSync(new URL('roots.json', ROOTS), 'utf8')) as { anchors: RootEntry[] };

describe('pinned trust anchors and their provenance', () => {
  it('every file in roots.json has source, upstream and the recorded sha256', () => {
    expect(manifest.anchors.length).toBeGreaterThanOrEqual(7);
    for (const entry of manifest.anchors) {
      expect(entry.source).toMatch(/\S/);
      expect(entry.upstream).toMatch(/@[0-9a-f]{40} /);
      expect(sha256(readFileSync(new URL(entry.file, ROOTS)))).toBe(entry.sha256);
    }
  });

  it('the embedded AMD and NVIDIA anchors hold exactly the certificates (DER) in attestation/roots', () => {
    // Compared as DER: the Turin files use CRLF line endings, which a template literal turns into LF.
    const ders = (pem: string): string[] => certificatesFromPemOrDer(new TextEncoder().encode(pem)).map((d) => sha256(d));
    const file = (name: string): string => readFileSync(new URL(name, ROOTS), 'utf8');
    for (const product of ['Milan', 'Genoa', 'Turin'] as const) {
      const lower = product.toLowerCase();
      expect(ders(AMD_TRUST_ANCHORS[product].vcekChainPem)).toEqual(ders(file(`amd/ask_ark_${lower}.pem`)));
      expect(ders(AMD_TRUST_ANCHORS[product].vlekChainPem)).toEqual(ders(file(`amd/asvk_ark_${lower}.pem`)));
      expect(ders(AMD_TRUST_ANCHORS[product].vcekChainPem)).toHaveLength(2);
    }
    expect(ders(NVIDIA_DEVICE_IDENTITY_ROOT_PEM)).toEqual(ders(file('nvidia/device-identity-root-ca.pem')));
  });

  it.each(['Milan', 'Genoa', 'Turin'] as const)('%s: ASK and ASVK chain to the self-signed ARK (RSA-PSS SHA-384)', async (product) => {
    for (const pem of [AMD_TRUST_ANCHORS[product].vcekChainPem, AMD_TRUST_ANCHORS[product].vlekChainPem]) {
      const [ask, ark] = certificatesFromPemOrDer(new TextEncoder().encode(pem)).map((d) => parseCertificate(d));
      const chain = await verifyCertificateChain(crypto, { leaf: ask!, intermediates: [], trustAnchors: [ark!], at: new Date('2026-01-01T00:00:00Z'), what: product });
      expect(chain.map((c) => c.subjectCommonName)).toEqual([ask!.subjectCommonName, `ARK-${product}`]);
      expect(ark!.publicKey.kind).toBe('rsa');
    }
  });

  it('the Turin VCEK chains to the Turin ASK and ARK; without the ASK the chain is incomplete', async () => {
    const [ask, ark] = certificatesFromPemOrDer(new TextEncoder().encode(AMD_TRUST_ANCHORS.Turin.vcekChainPem)).map((d) => parseCertificate(d));
    const vcek = parseCertificate(new Uint8Array(readFileSync(new URL('snp-turin-virtee-vcek.der', FIXTURES))));
    const at = new Date('2026-01-01T00:00:00Z');
    const chain = await verifyCertificateChain(crypto, { leaf: vcek, intermediates: [ask!], trustAnchors: [ark!], at, what: 'vcek' });
    expect(chain).toHaveLength(3);
    await expect(verifyCertificateChain(crypto, { leaf: vcek, intermediates: [], trustAnchors: [ark!], at, what: 'vcek' })).rejects.toMatchObject({
      code: 'certificate_chain_incomplete',
    });
  });
});
