import type { CryptoProvider } from '@confide/crypto';
import { z } from 'zod';
import { AttestationError } from '../attestation.error.js';
import {
  verifyCertificateChain,
  verifySignedByCached,
  type Certificate,
  type CertificateRevocationList,
  type VerifiedLinkCache,
} from '../common/index.js';
import { readSignedJson } from './signed-json.js';

export const TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`));
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'date');
const svn = z.object({ svn: z.number().int().min(0).max(255) }).loose();
const status = z.enum(TCB_STATUSES);
const isvLevel = z
  .object({ tcb: z.object({ isvsvn: z.number().int().min(0) }).loose(), tcbDate: isoDate, tcbStatus: status, advisoryIDs: z.array(z.string()).optional() })
  .loose();

const tdxModuleSchema = z.object({ mrsigner: hex(48), attributes: hex(8), attributesMask: hex(8) }).loose();

export const tdxTcbInfoSchema = z
  .object({
    id: z.literal('TDX'),
    version: z.literal(3),
    issueDate: isoDate,
    nextUpdate: isoDate,
    fmspc: hex(6),
    pceId: hex(2),
    tcbType: z.number().int(),
    tcbEvaluationDataNumber: z.number().int(),
    tdxModule: tdxModuleSchema.optional(),
    tdxModuleIdentities: z.array(tdxModuleSchema.extend({ id: z.string(), tcbLevels: z.array(isvLevel) })).optional(),
    tcbLevels: z
      .array(
        z
          .object({
            tcb: z
              .object({ sgxtcbcomponents: z.array(svn).length(16), pcesvn: z.number().int().min(0), tdxtcbcomponents: z.array(svn).length(16) })
              .loose(),
            tcbDate: isoDate,
            tcbStatus: status,
            advisoryIDs: z.array(z.string()).optional(),
          })
          .loose(),
      )
      .min(1),
  })
  .loose();
export type TdxTcbInfo = z.infer<typeof tdxTcbInfoSchema>;

export const tdQeIdentitySchema = z
  .object({
    id: z.literal('TD_QE'),
    version: z.literal(2),
    issueDate: isoDate,
    nextUpdate: isoDate,
    tcbEvaluationDataNumber: z.number().int(),
    miscselect: hex(4),
    miscselectMask: hex(4),
    attributes: hex(16),
    attributesMask: hex(16),
    mrsigner: hex(32),
    isvprodid: z.number().int(),
    tcbLevels: z.array(isvLevel).min(1),
  })
  .loose();
export type TdQeIdentity = z.infer<typeof tdQeIdentitySchema>;

/** What every Intel chain of one verification is checked against. */
export interface CollateralContext {
  readonly crypto: CryptoProvider;
  readonly at: Date;
  readonly trustedRoots: readonly Certificate[];
  /** The PCK CRL and the Root CA CRL, applied to every link of every chain. */
  readonly crls: readonly CertificateRevocationList[];
  readonly requireCrls: boolean;
  /** Remembers parsed bodies by content so repeated collateral is not re-parsed (checks still run). */
  readonly parsed?: ContentCache;
  readonly verifiedLinks?: VerifiedLinkCache;
}

/**
 * Verifies a chain as Intel supplies it (PCK chain in a quote, issuer chain in a PCS header): leaf first, in order,
 * the root optional, every link covered by the context's CRLs. Returns leaf first, pinned root last.
 */
export function verifyIntelChain(certificates: readonly Certificate[], context: CollateralContext, what: string): Promise<Certificate[]> {
  const [leaf, ...rest] = certificates;
  if (!leaf) throw new AttestationError('certificate_chain_incomplete', 'certificate chain is empty', what);
  return verifyCertificateChain(context.crypto, {
    leaf,
    intermediates: rest,
    ordered: true,
    trustAnchors: context.trustedRoots,
    at: context.at,
    what,
    crls: context.crls,
    requireCrls: context.requireCrls,
    ...(context.verifiedLinks ? { verifiedLinks: context.verifiedLinks } : {}),
  });
}

/**
 * Bounded cache of parse results keyed by kind + the exact input bytes: entries are found by kind and length and
 * matched by byte comparison (a memcmp, cheaper than hashing or encoding the input on every lookup). Values keep
 * their identity across calls, which lets the chain code remember verified links per object.
 */
export class ContentCache {
  private readonly buckets = new Map<string, { bytes: Buffer; value: unknown }[]>();
  private size = 0;
  constructor(private readonly limit = 256) {}
  get<T>(kind: string, bytes: Uint8Array, make: () => T): T {
    const key = `${kind}:${bytes.length}`;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bucket = this.buckets.get(key);
    if (bucket) for (const entry of bucket) if (entry.bytes.equals(view)) return entry.value as T;
    const value = make();
    if (this.size >= this.limit) {
      this.buckets.clear();
      this.size = 0;
    }
    const entry = { bytes: Buffer.from(view), value }; // a copy: callers may reuse their buffer
    const list = this.buckets.get(key);
    if (list) list.push(entry);
    else this.buckets.set(key, [entry]);
    this.size++;
    return value;
  }
}

/** The signer Intel uses for TCB info and QE identity. */
const TCB_SIGNER_CN = 'Intel SGX TCB Signing';

async function verifySigned<T>(
  kind: 'tcbInfo' | 'qeIdentity',
  body: Uint8Array,
  issuerChain: readonly Certificate[],
  schema: z.ZodType<T>,
  context: CollateralContext,
): Promise<T & { issueDate: string; nextUpdate: string }> {
  const read = (): { signed: ReturnType<typeof readSignedJson>; parsed: ReturnType<typeof schema.safeParse> } => {
    const signed = readSignedJson(body, kind === 'tcbInfo' ? 'tcbInfo' : 'enclaveIdentity', kind);
    return { signed, parsed: schema.safeParse(signed.value) };
  };
  const { signed, parsed } = context.parsed ? context.parsed.get(kind, body, read) : read();
  const [signer] = await verifyIntelChain(issuerChain, context, `${kind}IssuerChain`);
  if (signer!.subjectCommonName !== TCB_SIGNER_CN || signer!.isCa) {
    throw new AttestationError('certificate_chain_invalid', 'collateral is not signed by the TCB signing certificate', kind);
  }
  const verified = verifySignedByCached(context.crypto, signed, signer!, kind, context.verifiedLinks);
  if (verified !== true && !(await verified)) {
    throw new AttestationError('collateral_signature_invalid', 'collateral signature is invalid', kind);
  }
  if (!parsed.success) {
    throw new AttestationError('collateral_invalid', 'collateral does not have the expected shape', kind, parsed.error.issues[0]?.path.join('.'));
  }
  const value = parsed.data as T & { issueDate: string; nextUpdate: string };
  const at = context.at.getTime();
  if (at < Date.parse(value.issueDate) || at > Date.parse(value.nextUpdate)) {
    throw new AttestationError('collateral_expired', 'collateral is not current at the requested time', kind);
  }
  return value;
}

export function verifyTcbInfo(
  body: Uint8Array,
  issuerChain: readonly Certificate[],
  context: CollateralContext,
): Promise<TdxTcbInfo> {
  return verifySigned('tcbInfo', body, issuerChain, tdxTcbInfoSchema, context);
}

export function verifyQeIdentity(
  body: Uint8Array,
  issuerChain: readonly Certificate[],
  context: CollateralContext,
): Promise<TdQeIdentity> {
  return verifySigned('qeIdentity', body, issuerChain, tdQeIdentitySchema, context);
}
