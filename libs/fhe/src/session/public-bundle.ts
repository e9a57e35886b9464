import { FheError } from '../fhe.error.js';
import type { CkksParameters } from '../params/ckks-parameters.js';

/**
 * Everything an untrusted node gets for a job: parameters, relinearisation keys and exactly the Galois keys the
 * kernels use, both in SEAL's seeded serializable form with zstd. There is deliberately no field for a secret key.
 */
export interface FhePublicBundle {
  readonly version: 1;
  readonly parameters: CkksParameters;
  readonly galoisSteps: readonly number[];
  readonly relinKeys: Uint8Array;
  readonly galoisKeys: Uint8Array;
}

const MAGIC = 'confide/fhe-bundle/v1';

/** One buffer for transport or a blob store: u32 header length ‖ JSON header ‖ relin keys ‖ Galois keys. */
export function encodePublicBundle(bundle: FhePublicBundle): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      magic: MAGIC,
      parameters: bundle.parameters,
      galoisSteps: bundle.galoisSteps,
      relinKeysLength: bundle.relinKeys.length,
      galoisKeysLength: bundle.galoisKeys.length,
    }),
  );
  const out = new Uint8Array(4 + header.length + bundle.relinKeys.length + bundle.galoisKeys.length);
  new DataView(out.buffer).setUint32(0, header.length);
  out.set(header, 4);
  out.set(bundle.relinKeys, 4 + header.length);
  out.set(bundle.galoisKeys, 4 + header.length + bundle.relinKeys.length);
  return out;
}

export function decodePublicBundle(bytes: Uint8Array): FhePublicBundle {
  const fail = (): never => {
    throw new FheError('key_material_invalid', 'the FHE public bundle is malformed');
  };
  if (bytes.length < 4) fail();
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + headerLength > bytes.length) fail();
  let header: {
    magic?: unknown;
    parameters?: CkksParameters;
    galoisSteps?: unknown;
    relinKeysLength?: unknown;
    galoisKeysLength?: unknown;
  } = {};
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(4, 4 + headerLength))) as typeof header;
  } catch {
    fail();
  }
  const { relinKeysLength: rl, galoisKeysLength: gl, galoisSteps, parameters } = header;
  if (
    header.magic !== MAGIC ||
    typeof parameters !== 'object' ||
    parameters === null ||
    !Array.isArray(galoisSteps) ||
    !galoisSteps.every((s) => Number.isInteger(s)) ||
    typeof rl !== 'number' ||
    typeof gl !== 'number' ||
    4 + headerLength + rl + gl !== bytes.length
  ) {
    fail();
  }
  const start = 4 + headerLength;
  return {
    version: 1,
    parameters: parameters!,
    galoisSteps: galoisSteps as number[],
    relinKeys: bytes.slice(start, start + (rl as number)),
    galoisKeys: bytes.slice(start + (rl as number)),
  };
}
