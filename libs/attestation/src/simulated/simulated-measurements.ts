import { createHash } from 'node:crypto';

const sha384 = (label: string): string => createHash('sha384').update(label, 'utf8').digest('hex');

/** Indices of the simulated H100 measurement record; index 8 stands for the CC-mode configuration. */
export const SIMULATED_H100_INDICES = [1, 2, 3, 4, 5, 6, 7, 8] as const;
const CC_INDEX = 8;

function h100(ccMode: 'on' | 'off' | 'devtools'): Readonly<Record<number, string>> {
  return Object.fromEntries(
    SIMULATED_H100_INDICES.map((i) => [i, i === CC_INDEX ? sha384(`confide simulated H100 cc-mode ${ccMode}`) : sha384(`confide simulated H100 measurement ${i}`)]),
  );
}

/**
 * The launch measurements the simulated Attester reports unless told otherwise: labels hashed, so they are stable,
 * obviously not real, and listed in attestation/reference-values/dev-simulated.json.
 */
export const SIMULATED_MEASUREMENTS = {
  snp: sha384('confide simulated SEV-SNP guest v1'),
  tdx: {
    mrTd: sha384('confide simulated TD v1'),
    rtmrs: [sha384('confide simulated RTMR0'), sha384('confide simulated RTMR1'), sha384('confide simulated RTMR2'), '0'.repeat(96)] as const,
  },
  h100: { on: h100('on'), off: h100('off'), devtools: h100('devtools') },
} as const;
