import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { certificatesFromPemOrDer } from '../common/index.js';
import { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from './intel-roots.js';

const ROOTS = fileURLToPath(new URL('../../../../attestation/roots/intel/', import.meta.url));

describe('Intel SGX Root CA trust anchor', () => {
  it('embedded PEM is byte-identical to attestation/roots/intel/intel-sgx-root-ca.pem', () => {
    expect(INTEL_SGX_ROOT_CA_PEM).toBe(readFileSync(`${ROOTS}intel-sgx-root-ca.pem`, 'utf8'));
  });

  it('has the published fingerprint, also recorded in PROVENANCE.md', () => {
    const [der] = certificatesFromPemOrDer(INTEL_SGX_ROOT_CA_PEM);
    expect(createHash('sha256').update(der!).digest('hex')).toBe(INTEL_SGX_ROOT_CA_SHA256);
    const provenance = readFileSync(`${ROOTS}PROVENANCE.md`, 'utf8');
    expect(provenance).toContain(INTEL_SGX_ROOT_CA_SHA256);
    const fileSha = createHash('sha256').update(readFileSync(`${ROOTS}intel-sgx-root-ca.pem`)).digest('hex');
    expect(provenance).toContain(fileSha);
  });
});
