import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  AttestationError,
  appraise,
  CompositeVerifier,
  compositeEvidenceFromJson,
  DevAwareVerifier,
  loadPolicyFile,
  NitroVerifier,
  NvidiaSpdmVerifier,
  SnpVerifier,
  TdxVerifier,
  type AttestationResult,
  type EvidenceVerifier,
  type LoadedPolicy,
  type SimulatedTrustAnchors,
  type VerifiedEvidence,
} from '@confide/attestation';
import { verifyReportExport } from '@confide/keybroker';
import type { Command } from 'commander';
import type { JSONWebKeySet } from 'jose';

import { cliEnv, CliError, EXIT } from '../cli-context.js';

type Format = 'snp' | 'tdx' | 'spdm' | 'nitro' | 'composite';
const FORMATS = ['snp', 'tdx', 'spdm', 'nitro', 'composite', 'auto'] as const;

interface VerifyOpts {
  certs?: string[];
  collateral?: string[];
  policy?: string;
  nonce?: string;
  at?: string;
  format: (typeof FORMATS)[number];
  allowSimulated?: boolean;
  simulatedAnchors?: string;
  json?: boolean;
}

interface Output {
  verified: boolean;
  format: Format;
  simulated: boolean;
  claims: Record<string, unknown> | null;
  status: AttestationResult['status'] | 'verified' | 'failed';
  reasons: { code: string; target?: string; component?: string; policyField?: string; message: string }[];
  policy?: AttestationResult['policy'];
  trustVector?: AttestationResult['trustVector'];
  gpus?: Record<string, unknown>[];
}

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    throw new CliError(`cannot read ${what} ${path}`, EXIT.usage);
  }
}

function detect(bytes: Uint8Array): Format {
  const b = Buffer.from(bytes);
  if (b[0] === 0x7b) return 'composite';
  if (b.length >= 2 && b[0] === 0x11 && b[1] === 0xe0) return 'spdm';
  // COSE_Sign1, untagged (as the Nitro NSM returns it) or tag 18: a 4-array whose first item is a byte string.
  if (b.length >= 3 && ((b[0] === 0x84 && (b[1]! & 0xe0) === 0x40) || (b[0] === 0xd2 && b[1] === 0x84 && (b[2]! & 0xe0) === 0x40))) return 'nitro';
  if (b.length >= 8 && (b.readUInt16LE(0) === 4 || b.readUInt16LE(0) === 5) && b.readUInt32LE(4) === 0x81) return 'tdx';
  if (b.length >= 0x4a0 && b.readUInt32LE(0) >= 2 && b.readUInt32LE(0) <= 5) return 'snp';
  throw new CliError('cannot tell the evidence format; pass --format snp|tdx|spdm|nitro|composite', EXIT.usage);
}

/** `KEY=FILE`, or a file whose content says what it is (Intel TCB info / QE identity JSON, issuer chain PEM, CRL DER). */
function collateralOf(specs: readonly string[]): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq > 0 && /^[A-Za-z-]+$/.test(spec.slice(0, eq))) {
      out[spec.slice(0, eq)] = readInput(spec.slice(eq + 1), 'collateral');
      continue;
    }
    const bytes = readInput(spec, 'collateral');
    const text = Buffer.from(bytes).toString('latin1');
    let key: string;
    if (text.startsWith('{') && text.includes('"tcbInfo"')) key = 'tcbInfo';
    else if (text.startsWith('{') && text.includes('"enclaveIdentity"')) key = 'qeIdentity';
    else if (text.includes('-----BEGIN CERTIFICATE-----')) key = 'tcbInfoIssuerChain';
    else if (text.includes('Intel SGX Root CA')) key = 'rootCaCrl';
    else if (text.includes('Intel SGX PCK')) key = 'pckCrl';
    else if (text.includes('ARK-')) key = 'amd-crl';
    else throw new CliError(`cannot tell what collateral ${spec} is; pass it as KEY=FILE`, EXIT.usage);
    out[key] = bytes;
  }
  return out;
}

function parseAt(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const d = new Date(at);
  if (!/^\d{4}-\d{2}-\d{2}/.test(at) || Number.isNaN(d.getTime())) throw new CliError('--at must be an ISO-8601 date-time', EXIT.usage);
  return d;
}

/** Nitro documents carry their own nonce field of up to 1024 bytes; the other formats take at most 64. */
function parseNonce(hex: string | undefined, maxBytes: number): Uint8Array | undefined {
  if (hex === undefined) return undefined;
  if (hex.length > maxBytes * 2 || !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new CliError(`--nonce must be 1 to ${maxBytes} bytes of hex`, EXIT.usage);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function loadAnchors(dir: string | undefined): SimulatedTrustAnchors | undefined {
  if (!dir) return undefined;
  const raw = readInput(join(dir, 'development-anchors.json'), 'simulated anchors');
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8')) as SimulatedTrustAnchors;
  } catch {
    throw new CliError('simulated anchors file is not JSON', EXIT.usage);
  }
}

function claimsOf(v: VerifiedEvidence): Record<string, unknown> {
  return { teeType: v.teeType, measurement: v.measurement, reportData: v.reportData, tcb: v.tcb, debug: v.debug, details: v.details };
}

function verifierFor(format: Exclude<Format, 'composite' | 'nitro'>, anchors: SimulatedTrustAnchors | undefined, tdxStrict: boolean): EvidenceVerifier {
  const [prod, dev]: [EvidenceVerifier, EvidenceVerifier | undefined] =
    format === 'snp'
      ? [new SnpVerifier(), anchors && new SnpVerifier({ trustAnchors: anchors.amd })]
      : format === 'tdx'
        ? [new TdxVerifier({ requireCollateral: tdxStrict }), anchors && new TdxVerifier({ trustedRoots: [anchors.intelRootPem], requireCollateral: false })]
        : [new NvidiaSpdmVerifier(), anchors && new NvidiaSpdmVerifier({ trustAnchorsPem: anchors.nvidiaRootPem })];
  return dev ? new DevAwareVerifier(prod, dev) : prod;
}

async function run(evidencePath: string, opts: VerifyOpts): Promise<Output> {
  const evidence = readInput(evidencePath, 'evidence');
  const format: Format = opts.format === 'auto' ? detect(evidence) : opts.format;
  const certificates = (opts.certs ?? []).map((f) => readInput(f, 'certificate file'));
  const collateral = collateralOf(opts.collateral ?? []);
  const nonce = parseNonce(opts.nonce, format === 'nitro' ? 1024 : 64);
  const at = parseAt(opts.at);
  const anchors = loadAnchors(opts.simulatedAnchors);
  const allowSimulated = opts.allowSimulated ?? false;
  let policy: LoadedPolicy | undefined;
  if (opts.policy) {
    try {
      policy = await loadPolicyFile(opts.policy);
    } catch (e) {
      throw new CliError(e instanceof AttestationError ? `policy: ${e.message}` : `cannot load policy ${opts.policy}`, EXIT.usage);
    }
    if (format === 'spdm') throw new CliError('--policy appraises CPU or composite evidence, not a lone GPU report', EXIT.usage);
  }
  const failed = (e: unknown): Output => {
    if (!(e instanceof AttestationError)) throw e;
    return { verified: false, format, simulated: e.code === 'simulated_not_allowed', claims: null, status: 'failed', reasons: [{ code: e.code, ...(e.target ? { target: e.target } : {}), message: e.message }] };
  };

  let cpu: VerifiedEvidence;
  let gpus: readonly VerifiedEvidence[] = [];
  let thumbprint: string | undefined;
  try {
    if (format === 'composite') {
      if (!nonce) throw new CliError('composite evidence needs --nonce (the challenge it is bound to)', EXIT.usage);
      let bundle;
      try {
        bundle = compositeEvidenceFromJson(JSON.parse(Buffer.from(evidence).toString('utf8')));
      } catch {
        throw new CliError('composite evidence is not valid JSON of {cpu, gpus, teePublicJwk}', EXIT.usage);
      }
      const verifier = new CompositeVerifier(anchors ? { simulatedAnchors: anchors } : {});
      const v = await verifier.verify(bundle, { nonce, at, allowSimulated, collateral });
      cpu = v.cpu;
      gpus = v.gpus;
      thumbprint = v.teeKeyThumbprint;
    } else if (format === 'nitro') {
      // The document carries its certificate chain; the pinned AWS root is the only anchor (no simulated Nitro PKI).
      cpu = await new NitroVerifier().verify(evidence, { at, ...(nonce ? { expectedNonce: nonce } : {}) });
    } else {
      const expectedReportData = nonce && format !== 'spdm' ? new Uint8Array(Buffer.concat([nonce, Buffer.alloc(64 - nonce.length)])) : nonce;
      const verifier = verifierFor(format, anchors, Object.keys(collateral).length > 0);
      cpu = await verifier.verify(evidence, { at, certificates, collateral, allowSimulated, ...(expectedReportData ? { expectedReportData } : {}) });
    }
  } catch (e) {
    return failed(e);
  }

  const out: Output = { verified: true, format, simulated: cpu.simulated || gpus.some((g) => g.simulated), claims: claimsOf(cpu), status: 'verified', reasons: [] };
  if (gpus.length > 0) out.gpus = gpus.map(claimsOf);
  if (!policy) return out;
  const result = appraise({ cpu, gpus, simulated: out.simulated, ...(thumbprint ? { teeKeyThumbprint: thumbprint } : {}) }, policy);
  return {
    ...out,
    status: result.status,
    reasons: result.reasons.map((r) => ({ code: r.code, component: r.component, policyField: r.policyField, message: r.message })),
    policy: result.policy,
    trustVector: result.trustVector,
  };
}

export function registerAttest(program: Command): void {
  const attest = program.command('attest').description('Attestation evidence: verify offline against the pinned vendor roots and appraise against a policy');
  attest
    .command('verify')
    .description(
      'Verify SEV-SNP / TDX / H100 SPDM evidence, an AWS Nitro attestation document or a composite bundle offline (no server). Exit 0 verified (and affirmed with --policy), 1 not, 2 bad input',
    )
    .argument('<evidence>', 'evidence file: SNP report, TDX quote, SPDM report, Nitro attestation document (COSE_Sign1 CBOR) or composite bundle (JSON)')
    .option('--certs <files...>', 'certificates (PEM or DER): VCEK/VLEK for SNP, device chain for SPDM')
    .option('--collateral <files...>', 'collateral files, KEY=FILE or detected (tcbInfo, qeIdentity, tcbInfoIssuerChain, pckCrl, rootCaCrl, amd-crl)')
    .option('--policy <file>', 'appraise against this policy (attestation/policies/*.json)')
    .option('--nonce <hex>', 'expected nonce: SPDM nonce, CPU REPORT_DATA prefix, the nonce field of a Nitro document, or the challenge of a composite bundle')
    .option('--at <iso8601>', 'judge certificates and collateral at this time (default now)')
    .option('--format <format>', `evidence format: ${FORMATS.join('|')}`, 'auto')
    .option('--allow-simulated', 'accept evidence signed by the development PKI (marked simulated)')
    .option('--simulated-anchors <dir>', 'directory with development-anchors.json of the simulated attester')
    .option('--json', 'print the result as JSON')
    .action(async (evidence: string, opts: VerifyOpts) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`, EXIT.usage);
      const out = await run(evidence, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else {
        const head = out.verified ? `verified ${out.format}${out.simulated ? ' (SIMULATED)' : ''}: ${out.status}` : `NOT verified (${out.format})`;
        const claims = out.claims ? `measurement ${String(out.claims.measurement)}\nreport data ${String(out.claims.reportData)}\ndebug ${String(out.claims.debug)}\n` : '';
        process.stdout.write(`${head}\n${claims}${out.reasons.map((r) => `  - ${r.code}: ${r.message}`).join('\n')}${out.reasons.length ? '\n' : ''}`);
      }
      const ok = out.verified && (!opts.policy || out.status === 'affirming');
      process.exitCode = ok ? EXIT.ok : EXIT.failed;
    });

  attest
    .command('report')
    .description('Attestation reports exported by the attestation service (signed JWS files)')
    .command('verify')
    .description('Check an exported attestation report (JWS) against the service key set; exit 0 valid, 1 not, 2 unreadable')
    .argument('<file>', 'the exported report (.jws)')
    .option('--jwks <file>', 'the attestation service JWKS to trust (default: fetched from CONFIDE_URL; pin it for real audits)')
    .option('--json', 'print the verified report summary as JSON')
    .action(async (file: string, opts: { jwks?: string; json?: boolean }) => {
      const jws = Buffer.from(readInput(file, 'report')).toString('utf8');
      const jwks = opts.jwks ? parseJwks(Buffer.from(readInput(opts.jwks, 'JWKS')).toString('utf8')) : await fetchServiceJwks();
      let doc: Record<string, unknown>;
      try {
        doc = (await verifyReportExport(jws, jwks)) as Record<string, unknown>;
      } catch (e) {
        const out = { valid: false, reason: (e as Error).message };
        process.stdout.write(opts.json ? `${JSON.stringify(out)}\n` : `report signature NOT valid: ${out.reason}\n`);
        process.exitCode = EXIT.failed;
        return;
      }
      const policy = (doc.policy ?? {}) as { id?: string; hash?: string };
      const claims = (doc.claims ?? {}) as { measurement?: string };
      const summary = {
        valid: true,
        id: doc.id,
        status: doc.status,
        tee_type: doc.tee_type,
        simulated: doc.simulated,
        measurement: claims.measurement,
        policy: { id: policy.id, hash: policy.hash },
        job_id: doc.job_id,
        lease_epoch: doc.lease_epoch,
        created_at: doc.created_at,
        exported_at: doc.exported_at,
        signer_kid: doc.signer_kid,
      };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(summary)}\n`
          : `report ${String(summary.id)} is signed by the attestation service (key ${String(summary.signer_kid)})\n` +
              `  verdict ${String(summary.status)}${summary.simulated ? ' (SIMULATED evidence)' : ''}, ${String(summary.tee_type)}, measurement ${String(summary.measurement)}\n` +
              `  policy ${String(summary.policy.id)} (${String(summary.policy.hash)}), job ${String(summary.job_id)} epoch ${String(summary.lease_epoch)}, attested ${String(summary.created_at)}\n`,
      );
    });
}

function parseJwks(text: string): JSONWebKeySet {
  try {
    const j = JSON.parse(text) as JSONWebKeySet;
    if (!Array.isArray(j.keys)) throw new Error('no keys');
    return j;
  } catch {
    throw new CliError('the JWKS file is not a JSON Web Key Set', EXIT.usage);
  }
}

async function fetchServiceJwks(): Promise<JSONWebKeySet> {
  const url = `${cliEnv().url}/attestation/v1/jwks`;
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) }).catch((e: unknown) => {
    throw new CliError(`cannot fetch the service key set from ${url}: ${(e as Error).message} (or pass --jwks)`);
  });
  if (!res.ok) throw new CliError(`${url} answered ${res.status}`);
  return parseJwks(await res.text());
}
