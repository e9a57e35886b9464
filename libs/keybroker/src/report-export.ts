import { canonicalJson } from '@confide/domain';
import { CompactSign, compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { isCanonicalCompact } from './compact-serialization.js';
import { SERVICE_SIGNING_ALG, type ServiceSigningKey } from './service-signing-key.js';

export const REPORT_EXPORT_TYPE = 'confide-attestation-report+jws';

/** Signs an attestation report document (canonical JSON) as a compact JWS an auditor can keep and check offline. */
export async function signReportExport(key: ServiceSigningKey, document: unknown): Promise<string> {
  return new CompactSign(Buffer.from(canonicalJson(document), 'utf8'))
    .setProtectedHeader({ alg: SERVICE_SIGNING_ALG, kid: key.kid, typ: REPORT_EXPORT_TYPE })
    .sign(key.privateKey);
}

/** Checks an exported report against the service JWKS; returns the document. Throws (jose errors) when it does not verify. */
export async function verifyReportExport(jws: string, jwks: JSONWebKeySet): Promise<unknown> {
  const token = jws.trim();
  if (!isCanonicalCompact(token, 3)) throw new Error('not a compact JWS in canonical base64url');
  const { payload, protectedHeader } = await compactVerify(token, createLocalJWKSet(jwks), { algorithms: [SERVICE_SIGNING_ALG] });
  if (protectedHeader.typ !== REPORT_EXPORT_TYPE) throw new Error(`not an exported attestation report (typ ${String(protectedHeader.typ)})`);
  return JSON.parse(Buffer.from(payload).toString('utf8')) as unknown;
}
