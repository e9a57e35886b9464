import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Test-only: reads fixtures copied into test/fixtures/attestation (see the README.md there for provenance). */
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/attestation/', import.meta.url));

export function tdxFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}tdx/${name}`));
}

export function intelFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}intel/${name}`));
}

export const QUOTES = {
  sprV4: 'tdx-v4-spr-gotdxguest-quote.bin',
  emrV5: 'tdx-v5-emr-gotdxguest-quote.bin',
  trusteeDebug: 'tdx-v4-trustee-quote4-debugtd.bin',
  trusteeQuote6: 'tdx-v4-trustee-quote6-quote.bin',
  azure: 'tdx-azure-cvm-td-quote.bin',
} as const;

export function collateral2023(): Record<string, Uint8Array> {
  return {
    tcbInfo: tdxFixture('tdx-gotdxguest-tcbinfo-50806f000000.json'),
    qeIdentity: tdxFixture('tdx-gotdxguest-qeidentity.json'),
    tcbInfoIssuerChain: intelFixture('intel-tcb-signing-chain-2018-2025.pem'),
    pckCrl: intelFixture('intel-pck-platform-crl-2023.der'),
    rootCaCrl: intelFixture('intel-sgx-root-crl-2023.der'),
  };
}
