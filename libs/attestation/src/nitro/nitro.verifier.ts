import { bytesEqual, toHex, WebCryptoProvider, type CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { certificatesFromPemOrDer, parseCertificate, verifyCertificateChain, VerifiedLinkCache, type Certificate } from '../common/index.js';
import type { EvidenceVerifier, VerifiedEvidence, VerifyOptions } from '../verifier.js';
import { AWS_NITRO_ENCLAVES_ROOT_G1_PEM } from './aws-nitro-trust-anchors.js';
import { parseCoseSign1 } from './cose-sign1.js';
import { parseNitroAttestationDocument, type NitroAttestationDocument } from './nitro-document.js';

export interface NitroVerifierConfig {
  readonly crypto?: CryptoProvider;
  /** PEM of the pinned root(s); defaults to the AWS Nitro Enclaves Root-G1. */
  readonly trustAnchorsPem?: string;
}

export interface NitroVerifyOptions extends VerifyOptions {
  /** When set, the document's `nonce` field must be exactly these bytes. */
  readonly expectedNonce?: Uint8Array;
}

/** Everything the Nitro verifier established; `nitroToVerifiedEvidence` maps it to the common claims. */
export interface NitroVerification {
  readonly document: NitroAttestationDocument;
  /** Subjects, the enclave certificate first, the pinned root last. */
  readonly chain: readonly string[];
  /** PCR0 all zeros: the enclave was started in debug mode (its console and memory are open to the parent). */
  readonly debug: boolean;
}

/**
 * AWS Nitro Enclaves Verifier: COSE_Sign1 (ES384) over the attestation document with the key of its `certificate`,
 * that certificate ← cabundle (in order, cabundle[0] the pinned AWS root byte for byte) valid at `at`, and the
 * document's fields and bindings. It appraises nothing: PCRs are returned as claims (PCR0 is the measurement).
 *
 * Binding (DESIGN §5.3): confide's report data for Nitro is `user_data`, which must carry the 64-byte SHA-512
 * binding of {nonce, tee_public_jwk, gpu_evidence_sha256}; `expectedReportData` is compared with it exactly. The
 * document's own `nonce` is checked against `expectedNonce` when given.
 */
export class NitroVerifier implements EvidenceVerifier {
  readonly format = 'aws-nitro' as const;
  private readonly crypto: CryptoProvider;
  private readonly verifiedLinks = new VerifiedLinkCache();
  private readonly roots: readonly Certificate[];

  constructor(config: NitroVerifierConfig = {}) {
    this.crypto = config.crypto ?? new WebCryptoProvider();
    const pem = config.trustAnchorsPem ?? AWS_NITRO_ENCLAVES_ROOT_G1_PEM;
    this.roots = certificatesFromPemOrDer(pem).map((d) => parseCertificate(d, 'nitro-root'));
    if (this.roots.length === 0) throw new Error('Nitro trust anchors are empty');
  }

  async verify(evidence: Uint8Array, options: NitroVerifyOptions): Promise<VerifiedEvidence> {
    return nitroToVerifiedEvidence(await this.verifyDocument(evidence, options));
  }

  async verifyDocument(evidence: Uint8Array, options: NitroVerifyOptions): Promise<NitroVerification> {
    const cose = parseCoseSign1(evidence, 'nitro');
    const document = parseNitroAttestationDocument(cose.payload);
    const pcr0 = document.pcrs.get(0);
    if (pcr0 === undefined) throw new AttestationError('evidence_malformed', 'PCR0 is missing', 'nitro.payload.pcrs.0');

    const leaf = parseCertificate(document.certificate, 'nitro.payload.certificate');
    const bundle = document.cabundle.map((der, i) => parseCertificate(der, `nitro.payload.cabundle[${i}]`));
    // cabundle is root first; the chain check takes the attester's chain leaf-issuer first and ordered, so every
    // certificate must be a link and cabundle[0] must be the self-signed root, which must be pinned byte for byte.
    const chain = await verifyCertificateChain(this.crypto, {
      leaf,
      intermediates: [...bundle].reverse(),
      trustAnchors: this.roots,
      at: options.at,
      what: 'nitro',
      ordered: true,
      verifiedLinks: this.verifiedLinks,
    });
    if (chain.length !== bundle.length + 1) {
      throw new AttestationError('certificate_chain_invalid', 'cabundle does not start with the root', 'nitro.payload.cabundle[0]');
    }

    if (leaf.publicKey.kind !== 'ec' || leaf.publicKey.curve !== 'P-384') {
      throw new AttestationError('certificate_extension_mismatch', 'Nitro signing key is not EC P-384', 'nitro.payload.certificate');
    }
    const signatureOk = await this.crypto.verifyEcdsa({
      curve: 'P-384',
      hash: 'SHA-384',
      publicKey: { spki: leaf.publicKey.spki },
      signature: cose.signature,
      signatureFormat: 'p1363',
      data: cose.toBeSigned,
    });
    if (!signatureOk) throw new AttestationError('signature_invalid', 'Nitro COSE_Sign1 signature is invalid', 'nitro.signature');

    if (options.expectedReportData && !(document.userData && bytesEqual(document.userData, options.expectedReportData))) {
      throw new AttestationError('report_data_mismatch', 'user_data differs from the expected report data', 'nitro.payload.user_data');
    }
    if (options.expectedNonce && !(document.nonce && bytesEqual(document.nonce, options.expectedNonce))) {
      throw new AttestationError('nonce_mismatch', 'nonce differs from the expected nonce', 'nitro.payload.nonce');
    }
    return { document, chain: chain.map((c) => c.subjectCommonName), debug: /^0+$/.test(pcr0) };
  }
}

export function nitroToVerifiedEvidence(v: NitroVerification): VerifiedEvidence {
  const { document: d } = v;
  const hex = (b: Uint8Array | undefined): string | null => (b ? toHex(b) : null);
  return {
    format: 'aws-nitro',
    teeType: 'aws-nitro',
    simulated: false,
    measurement: d.pcrs.get(0) ?? '',
    reportData: d.userData ? toHex(d.userData) : '',
    debug: v.debug,
    // Nitro reports no TCB version: the hypervisor and the Nitro card are vouched for by AWS's certificate chain.
    tcb: { digest: d.digest },
    details: {
      moduleId: d.moduleId,
      timestamp: d.timestamp,
      signedAt: new Date(d.timestamp).toISOString(),
      pcrs: Object.fromEntries([...d.pcrs].map(([i, value]) => [String(i), value])),
      publicKey: hex(d.publicKey),
      userData: hex(d.userData),
      nonce: hex(d.nonce),
      chain: v.chain,
    },
  };
}
