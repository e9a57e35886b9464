import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AttestationError } from '../attestation.error.js';
import { certificatesFromPemOrDer, parseCertificate } from '../common/index.js';
import { parsePckExtensions } from './pck-extensions.js';
import { parseTdxQuote, tdAttributesOf } from './tdx-quote.js';
import { serializeTdxQuote } from './tdx-quote.writer.js';
import { QUOTES, tdxFixture } from './tdx-test-fixtures.js';

const ZERO48 = '00'.repeat(48);

function pckOf(file: string) {
  const quote = parseTdxQuote(tdxFixture(file));
  const chain = certificatesFromPemOrDer(quote.pckCertData).map((der) => parseCertificate(der));
  return { quote, chain, pck: parsePckExtensions(chain[0]!) };
}

describe('parseTdxQuote on the real vectors (values from testdata SOURCES.md §2)', () => {
  it('v4 Sapphire Rapids (go-tdx-guest tdx_prod_quote_SPR_E4)', () => {
    const { quote, chain, pck } = pckOf(QUOTES.sprV4);
    expect(quote.header).toEqual({
      version: 4,
      attestationKeyType: 2,
      teeType: 0x81,
      qeVendorId: '939a7233f79c4ca9940a0db3957f0607',
      userData: '739c3f292a15bace1f726351a70d4b7900000000',
    });
    const b = quote.body;
    expect(b.bodyType).toBe('tdx10');
    expect(b.teeTcbSvn).toBe('03000400000000000000000000000000');
    expect(b.mrSeam).toBe('2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656');
    expect(b.mrSignerSeam).toBe(ZERO48);
    expect(b.tdAttributes).toBe('0000004000000000');
    expect(b.xfam).toBe('e71a060000000000');
    expect(b.mrTd).toBe('6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb');
    expect([b.mrConfigId, b.mrOwner, b.mrOwnerConfig]).toEqual([ZERO48, ZERO48, ZERO48]);
    expect(b.rtmrs).toEqual([
      '2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc80af42976823adf08f833c1e50b51779c6593f32a',
      '2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538c25a5f589c4b56d035c59107c6bc5800db2cacb61',
      '8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b3e6466fe59c7368b3c2287fc7c3bf5c924eb4424e',
      ZERO48,
    ]);
    expect(b.reportData).toBe(
      '6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113',
    );
    expect(quote.trailingBytes).toBe(39);
    expect(quote.qeReport.mrSigner).toBe('dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5');
    expect(quote.qeReport.isvProdId).toBe(2);
    expect(quote.qeReport.isvSvn).toBe(4);
    expect(Buffer.from(quote.qeAuthData).toString('hex')).toBe(Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex'));
    expect(pck.fmspc).toBe('50806f000000');
    expect(pck.pceId).toBe('0000');
    expect(pck.pceSvn).toBe(11);
    expect(pck.cpuSvn).toBe('03030202020100020000000000000000');
    expect(pck.tcbComponents).toEqual([3, 3, 2, 2, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(pck.ppid).toBe('089ddfdb9c0359c82a3bc7719239574e');
    expect(chain[0]!.notBefore.toISOString()).toBe('2022-09-20T13:20:31.000Z');
    expect(chain[0]!.notAfter.toISOString()).toBe('2029-09-20T13:20:31.000Z');
    expect(chain.map((c) => c.subjectCommonName)).toEqual(['Intel SGX PCK Certificate', 'Intel SGX PCK Platform CA', 'Intel SGX Root CA']);
    expect(tdAttributesOf(b)).toEqual({ debug: false, septVeDisable: false });
  });

  it('v5 Emerald Rapids with a TD report 1.5 body (go-tdx-guest quote_v5_sample)', () => {
    const { quote, pck } = pckOf(QUOTES.emrV5);
    const b = quote.body;
    expect(quote.header.version).toBe(5);
    expect(b.bodyType).toBe('tdx15');
    expect(b.teeTcbSvn).toBe('0b010400000000000000000000000000');
    expect(b.teeTcbSvn2).toBe('0d010400000000000000000000000000');
    expect(b.mrSeam).toBe('7bf063280e94fb051f5dd7b1fc59ce9aac42bb961df8d44b709c9b0ff87a7b4df648657ba6d1189589feab1d5a3c9a9d');
    expect(b.mrTd).toBe('7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876');
    expect(b.rtmrs.slice(0, 3)).toEqual([
      '5c8daf76063a71ac8fcef4067564661fc682ed7944c7a5d21dbbced02f61ceff4ba0678c6aef3bdae8cbc614cec24619',
      '463acaace1b6e97c76e92e41fe312aa66f3fd4dad60ec7acf169859db0343e3d1e591646795cdc80fbc0ca5f7041d253',
      '6369b9c9a3b791ebcbdc5a0bb9536cfb57f50df2b393b33c8b29616d3568baa61f4b59dc6092e31ea8764bcbdfc69f20',
    ]);
    expect(b.reportData).toBe(
      '945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd4a4933a4dd537ed1255c9c79ecb3ed82cd1b486233e31c25c3a',
    );
    expect(b.mrServiceTd).toBe(ZERO48);
    expect(b.tdAttributes).toBe('0000001000000000');
    expect(b.xfam).toBe('e702060000000000');
    expect(quote.qeReport.isvSvn).toBe(7);
    expect(quote.trailingBytes).toBe(0);
    expect(quote.signedRegion.length).toBe(48 + 6 + 648);
    expect(pck.fmspc).toBe('90c06f000000');
    expect(tdAttributesOf(b)).toEqual({ debug: false, septVeDisable: true });
  });

  it('trustee quote 4 (debug TD) matches all 15 body fields and the header of trustee parse_tdx_claims', () => {
    const expected = JSON.parse(Buffer.from(tdxFixture('tdx-v4-trustee-quote4-expected-claims.json')).toString('utf8')) as {
      quote: { body: Record<string, string>; header: Record<string, string> };
      platform_instance_id: string;
    };
    const { quote, pck } = pckOf(QUOTES.trusteeDebug);
    const b = quote.body;
    expect({
      mr_config_id: b.mrConfigId,
      mr_owner: b.mrOwner,
      mr_owner_config: b.mrOwnerConfig,
      mr_seam: b.mrSeam,
      mr_td: b.mrTd,
      mrsigner_seam: b.mrSignerSeam,
      report_data: b.reportData,
      rtmr_0: b.rtmrs[0],
      rtmr_1: b.rtmrs[1],
      rtmr_2: b.rtmrs[2],
      rtmr_3: b.rtmrs[3],
      seam_attributes: b.seamAttributes,
      tcb_svn: b.teeTcbSvn,
      td_attributes: b.tdAttributes,
      xfam: b.xfam,
    }).toEqual(expected.quote.body);
    expect(quote.header.qeVendorId).toBe(expected.quote.header.vendor_id);
    expect(quote.header.userData).toBe(expected.quote.header.user_data);
    expect(tdAttributesOf(b)).toEqual({ debug: true, septVeDisable: true });
    // The DER OCTET STRING holds 021ac64d…; trustee prints it byte-reversed (as a little-endian number).
    expect(pck.platformInstanceId).toBe(Buffer.from(expected.platform_instance_id, 'hex').reverse().toString('hex'));
    expect(pck.fmspc).toBe('50806f000000');
    expect(pck.configuration).toEqual({ dynamicPlatform: expect.any(Boolean), cachedKeys: expect.any(Boolean), smtEnabled: expect.any(Boolean) });
  });

  it('trustee quote 6 (FMSPC 00a06d080000, 70 trailing bytes)', () => {
    const { quote, pck } = pckOf(QUOTES.trusteeQuote6);
    const b = quote.body;
    expect(b.teeTcbSvn.startsWith('05030200')).toBe(true);
    expect(b.mrSeam).toBe('476a2997c62bccc78370913d0a80b956e3721b24272bc66c4d6307ced4be2865c40e26afac75f12df3425b03eb59ea7c');
    expect(b.mrTd).toBe('21e8dead92d6c69d7cbba79816686c03a48485c7df0c11f6f04792d5e1d378f6b8c46615ba6946adccac6becffbb1e88');
    expect(b.reportData).toBe(`26cae1c77185617fb6a03fc29bf1f924596e52352b9b7594940b576ae126cd4a570cc3202a900c5d19a6eb0a95b32cfd${'00'.repeat(16)}`);
    expect(b.tdAttributes).toBe('0000001000000000');
    expect(quote.trailingBytes).toBe(70);
    expect(quote.qeReport.isvSvn).toBe(7);
    expect(pck.fmspc).toBe('00a06d080000');
  });

  it('Azure TDX CVM quote: REPORTDATA[0:32] binds the HCL variable data', () => {
    const { quote, pck } = pckOf(QUOTES.azure);
    expect(pck.fmspc).toBe('00806f050000');
    expect(quote.body.tdAttributes).toBe('0000000000000000');
    expect(quote.body.xfam).toBe('e718060000000000');
    expect(quote.trailingBytes).toBe(70);
    const hcl = Buffer.from(tdxFixture('tdx-azure-cvm-hcl-report.bin'));
    expect(hcl.readUInt32LE(0x4c0 + 8)).toBe(4); // report type TDX
    const varSize = hcl.readUInt32LE(0x4c0 + 16);
    expect(varSize).toBe(1201);
    const digest = createHash('sha256').update(hcl.subarray(0x4d4, 0x4d4 + varSize)).digest('hex');
    expect(digest).toBe('9734504f161d104c74e3165c15f779b06a9bb40dfa71937817d7eee68e593839');
    expect(quote.body.reportData).toBe(digest + '00'.repeat(32));
  });
});

describe('parseTdxQuote rejects what it cannot trust to parse', () => {
  const good = tdxFixture(QUOTES.sprV4);
  const code = (bytes: Uint8Array): string => {
    try {
      parseTdxQuote(bytes);
      return 'parsed';
    } catch (e) {
      return (e as AttestationError).code;
    }
  };

  it('truncated anywhere before the end of the signature data', () => {
    for (const cut of [0, 10, 47, 600, 632, 700, 1000, good.length - 40]) {
      expect(code(good.subarray(0, cut))).toBe('evidence_malformed');
    }
    expect(code(good.subarray(0, good.length - 39))).toBe('parsed');
  });

  it('wrong version, key type or TEE type', () => {
    const v3 = Buffer.from(good);
    v3.writeUInt16LE(3, 0);
    expect(code(v3)).toBe('evidence_unsupported_version');
    const keyType = Buffer.from(good);
    keyType.writeUInt16LE(3, 2);
    expect(code(keyType)).toBe('evidence_unsupported_version');
    const sgx = Buffer.from(good);
    sgx.writeUInt32LE(0, 4);
    expect(code(sgx)).toBe('evidence_malformed');
  });
});

describe('serializeTdxQuote', () => {
  it('is the inverse of parseTdxQuote on every vector (minus trailing padding)', () => {
    for (const file of Object.values(QUOTES)) {
      const bytes = tdxFixture(file);
      const quote = parseTdxQuote(bytes);
      const again = serializeTdxQuote({ ...quote, qeReport: quote.qeReport.raw });
      expect(Buffer.from(again).equals(Buffer.from(bytes.subarray(0, bytes.length - quote.trailingBytes)))).toBe(true);
    }
  });
});
