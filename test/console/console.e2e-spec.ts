import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAttester } from '@confide/attestation';
import { syntheticTicketExamples } from '@confide/training';
import { compactVerify, createLocalJWKSet, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NodeAgent, SimulatedEvidenceProvider } from '../../apps/node-agent/src/index.js';
import { SchedulerSettings } from '../../apps/scheduler/src/common/scheduler.settings.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ARTIFACTS, axe, CHROMIUM, ensureConsoleBuilt, launchChromium, seriousOrWorse } from './browser.js';

/**
 * The web console in a real browser (Debian chromium through playwright-core) against the real all-in-one server on
 * Postgres, signing in through the real dev OIDC issuer via the backend-for-frontend.
 */
const FIXTURE = join(import.meta.dirname, '../fixtures/datasets/chat-with-pii.jsonl');

// Skipped only on a developer machine without chromium; CI installs it, so there a missing browser fails the run.
(CHROMIUM || process.env.CI ? describe : describe.skip)('web console (chromium, Postgres)', () => {
  let s: TestServer;
  let browser: Browser;
  let password: string;
  let datasetId = '';
  let reportId = '';
  let succeededJobId = '';
  let node: NodeAgent | undefined;
  let nodeDir = '';
  const cspViolations: string[] = [];

  const newSession = async (email: string, path = '/'): Promise<{ ctx: BrowserContext; page: Page }> => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${s.url}${path}`);
    await page.getByRole('link', { name: 'Sign in with your organisation' }).click();
    // The dev issuer's own sign-in page (oidc-provider interaction).
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.origin === s.url && !u.pathname.startsWith('/oidc') && !u.pathname.startsWith('/auth'));
    await page.locator('#page-title').waitFor();
    return { ctx, page };
  };

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  const expectAccessible = async (page: Page, name: string) => {
    const serious = seriousOrWorse(await axe(page));
    if (serious.length) throw new Error(`${name}: ${JSON.stringify(serious, null, 2)}`);
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    s = await startTestServer('postgres');
    password = s.devIssuer!.credentials.users.find((u) => u.email === 'engineer@confide.local')!.password;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
    await browser?.close();
    await s?.stop();
    if (nodeDir) rmSync(nodeDir, { recursive: true, force: true });
  });

  it('serves the SPA with a strict CSP and falls back to it on client routes; API paths keep problem+json', async () => {
    const page = await fetch(`${s.url}/datasets/some-client-route`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const api = await fetch(`${s.url}/v1/nope`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${s.url}/v1/datasets`)).status).toBe(401);
  });

  it('a data engineer signs in through the dev issuer, drops a dataset, watches it upload and sees its PII findings', async () => {
    const { ctx, page } = await newSession('engineer@confide.local', '/datasets');
    // The session is an httpOnly cookie; the SPA never sees a token.
    expect(await page.evaluate(() => document.cookie)).not.toContain('confide_session');
    const session = await page.evaluate(() => fetch('/auth/session').then((r) => r.json() as Promise<Record<string, unknown>>));
    expect(session).toMatchObject({ authenticated: true, user: { email: 'engineer@confide.local', roles: ['data_engineer'] } });
    expect(JSON.stringify(session)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    const cookies = await ctx.cookies();
    expect(cookies.find((c) => c.name === 'confide_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await page.getByText('No datasets yet').waitFor();
    await shot(page, 'datasets-empty');
    await page.getByRole('link', { name: 'Upload dataset' }).click();
    await page.locator('#page-title').filter({ hasText: 'Upload a dataset' }).waitFor();

    // Real drag-and-drop: a File in a DataTransfer dropped on the zone.
    const content = readFileSync(FIXTURE, 'utf8');
    const dt = await page.evaluateHandle((text) => {
      const d = new DataTransfer();
      d.items.add(new File([text], 'support-chats.jsonl', { type: 'application/jsonl' }));
      return d;
    }, content);
    await page.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dt });
    await page.getByText('support-chats.jsonl').waitFor();
    await page.locator('#op-PHONE').selectOption('mask:4');
    await expectAccessible(page, 'upload');
    await shot(page, 'dataset-upload');

    // Record every value the progress bar shows (it is driven by XHR upload progress events).
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver(() => {
        const p = document.querySelector('#upload-progress') as HTMLProgressElement | null;
        if (p) seen.push(p.value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByRole('button', { name: 'Upload and scan' }).click();
    await page.waitForURL(/\/datasets\/[0-9a-f-]{36}$/);
    datasetId = page.url().split('/').pop()!;
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(progress.length).toBeGreaterThan(0);
    expect(Math.max(...progress)).toBe(100);

    await page.locator('#pii-findings').waitFor();
    const findings = await page.locator('#pii-findings tbody tr').allInnerTexts();
    expect(findings.some((r) => r.includes('EMAIL'))).toBe(true);
    expect(findings.some((r) => /PHONE[\s\S]*mask:4/.test(r))).toBe(true);
    // Masked samples only: the fixture's raw addresses never reach the page.
    const raw = content.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g) ?? [];
    expect(raw.length).toBeGreaterThan(0);
    const text = await page.locator('main').innerText();
    for (const r of raw) expect(text).not.toContain(r);
    expect(await page.locator('#pii-heatmap td.heat').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'dataset detail');
    await shot(page, 'dataset-detail');
    await page.setViewportSize({ width: 1366, height: 768 });
    await shot(page, 'dataset-detail-laptop');
    await page.setViewportSize({ width: 1280, height: 800 });

    await nav(page).getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('link', { name: 'support-chats.jsonl' }).waitFor();
    await expectAccessible(page, 'datasets');
    await shot(page, 'datasets');
    await ctx.close();
  }, 90_000);

  it('an upload whose connection keeps failing stops with what is stored; the same file again continues from there, not from 0', async () => {
    const { ctx, page } = await newSession('engineer@confide.local', '/datasets/new');
    const CHUNK = 8 * 1024 * 1024;
    // ~17 MiB of distinct chat rows: three chunks (8 + 8 + the rest), built in the page as a File.
    const records = await page.evaluate(() => {
      const lines: string[] = [];
      let bytes = 0;
      for (let i = 0; bytes < 17 * 1024 * 1024; i++) {
        const l = JSON.stringify({ messages: [{ role: 'user', content: `Order ${i}: where is my parcel, it was due on day ${i % 28}?` }, { role: 'assistant', content: ['shipping', 'billing', 'account', 'technical'][i % 4] }] });
        lines.push(l);
        bytes += l.length + 1;
      }
      const file = new File([lines.join('\n') + '\n'], 'resumed.jsonl', { type: 'application/jsonl' });
      const dt = new DataTransfer();
      dt.items.add(file);
      const input = document.querySelector('#dataset-file') as HTMLInputElement;
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return lines.length;
    });
    await page.getByText('resumed.jsonl').waitFor();
    // The offsets of every chunk request the page sends, and a network that drops every chunk after the first.
    const offsets: number[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH' && r.url().includes('/v1/uploads/')) offsets.push(Number(r.headers()['upload-offset']));
    });
    let passed = 0;
    await page.route('**/v1/uploads/*', async (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      if (passed++ === 0) return route.continue();
      return route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Upload and scan' }).click();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'The upload was interrupted' }).waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).toContain('8.39 MB of 17.');
    // The first chunk went once; the second was tried again from the committed offset (5 retries), never from 0.
    expect(offsets).toEqual([0, ...Array.from({ length: 6 }, () => CHUNK)]);

    // The network is back: the same file again continues at 8 MiB.
    await page.unroute('**/v1/uploads/*');
    offsets.length = 0;
    await page.getByRole('button', { name: 'Upload and scan' }).click();
    await page.waitForURL(/\/datasets\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    expect(offsets).toEqual([CHUNK, 2 * CHUNK]);
    const id = page.url().split('/').pop()!;
    const ds = await page.evaluate((d) => fetch(`/v1/datasets/${d}`).then((r) => r.json() as Promise<{ status: string; valid_records: number; name: string }>), id);
    expect(ds).toMatchObject({ status: 'ready', valid_records: records, name: 'resumed.jsonl' });
    await ctx.close();
  }, 120_000);

  it('a data engineer cannot reach auditor-only pages or APIs, and a state change without the CSRF token is refused', async () => {
    const { ctx, page } = await newSession('engineer@confide.local', '/datasets');
    const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
    expect(nav).toContain('Datasets');
    expect(nav).not.toContain('Audit log');
    expect(nav).not.toContain('Attestation reports');
    await page.goto(`${s.url}/audit`);
    await page.getByRole('heading', { name: 'No access to the audit log' }).waitFor();
    await page.goto(`${s.url}/reports`);
    await page.getByRole('heading', { name: 'No access to attestation reports' }).waitFor();
    const statuses = await page.evaluate(async () => [(await fetch('/v1/audit/checkpoint')).status, (await fetch('/attestation/v1/reports')).status]);
    expect(statuses).toEqual([403, 403]);
    // The BFF refuses cookie-authenticated writes without the CSRF header.
    const noCsrf = await page.evaluate(() => fetch('/v1/datasets?filename=x.jsonl', { method: 'POST', headers: { 'content-type': 'application/jsonl' }, body: '{}' }).then((r) => r.status));
    expect(noCsrf).toBe(403);
    await ctx.close();
  }, 60_000);

  it('jobs and nodes pages: create shows the estimate first; list and marketplace render', async () => {
    const { ctx, page } = await newSession('engineer@confide.local', '/jobs');
    await page.locator('#page-title').filter({ hasText: 'Fine-tuning jobs' }).waitFor();
    await page.locator('.state.empty, table').first().waitFor();
    await expectAccessible(page, 'jobs');
    await shot(page, 'jobs');
    await page.getByRole('link', { name: 'New job' }).click();
    await page.locator('#training-file').selectOption(datasetId);
    await page.getByRole('button', { name: 'Estimate cost' }).click();
    await page.locator('#estimate, .state.error').first().waitFor();
    await expectAccessible(page, 'job create');
    await shot(page, 'job-create');
    // With no node able to run it, the job waits in the queue: the detail page says where and why, then cancels it.
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.locator('#job-status').filter({ hasText: 'queued' }).waitFor();
    await page.getByText('(live)').waitFor();
    const state = await page.locator('#state-h + dl').innerText();
    expect(state).toMatch(/Queue position\s+1/i);
    expect(state).not.toMatch(/Pending reason\s+—/i);
    await expectAccessible(page, 'job detail');
    await shot(page, 'job-detail-queued');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('#job-status').filter({ hasText: 'cancelled' }).waitFor();
    await page.locator('.events li').first().waitFor();
    await nav(page).getByRole('link', { name: 'Nodes' }).click();
    await page.locator('#page-title').filter({ hasText: 'Nodes' }).waitFor();
    await page.locator('.state.empty, .state.error, table').first().waitFor();
    await expectAccessible(page, 'nodes');
    await shot(page, 'nodes');
    await ctx.close();
  }, 60_000);

  it('starts a TEE job and watches it reach succeeded with the metrics chart drawn, then downloads the sealed model and the signed provenance report', async () => {
    // Only now does a simulated confidential node (SEV-SNP + H100 evidence from the dev PKI) join: earlier tests see an empty marketplace.
    Object.assign(s.app.get(SchedulerSettings), { heartbeatIntervalSeconds: 1, placementIntervalMs: 100, sweepIntervalMs: 200, unplaceableRetryMs: 100 });
    nodeDir = mkdtempSync(join(tmpdir(), 'confide-console-node-'));
    const admin = await s.token();
    node = await NodeAgent.create({
      url: s.url,
      token: () => Promise.resolve(admin),
      stateDir: nodeDir,
      name: 'console-snp',
      hourlyPrice: 1,
      evidence: await SimulatedEvidenceProvider.create(join(s.dataDir, 'dev-pki'), 'sev-snp'),
      heartbeatMs: 250,
    });
    await node.start();
    // A classification dataset big enough to train on (the PII fixture above has 12 records).
    const engineer = await s.token('engineer-cli');
    const lines = syntheticTicketExamples(400, 5).map((e, i) =>
      JSON.stringify({ messages: [{ role: 'user', content: `${e.text} (ticket ${i}, reach me at user${i}@example.com)` }, { role: 'assistant', content: e.label }] }),
    );
    const up = await fetch(`${s.url}/v1/datasets?protection=tee&filename=tickets.jsonl`, {
      method: 'POST',
      headers: { authorization: `Bearer ${engineer}`, 'content-type': 'application/jsonl' },
      body: lines.join('\n'),
    });
    const tickets = (await up.json()) as { id: string; status: string };
    expect(tickets.status).toBe('ready');
    const { ctx, page } = await newSession('engineer@confide.local', '/jobs/new');
    await page.locator('#training-file').selectOption(tickets.id);
    await page.getByRole('button', { name: 'Estimate cost' }).click();
    await page.locator('#estimate').waitFor();
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.locator('#job-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 240_000 });
    // Both series are drawn: loss and accuracy per step.
    expect(await page.locator('#metrics-chart path').count()).toBeGreaterThanOrEqual(2);
    await page.locator('.attestation-badge').waitFor();
    const jobId = page.url().split('/').pop()!;
    succeededJobId = jobId;

    // The sealed model: bytes as stored, still encrypted — no training record appears in it.
    const [model] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download sealed model' }).click()]);
    expect(model.suggestedFilename()).toBe(`model-${jobId}.sealed`);
    const sealed = readFileSync((await model.path())!);
    expect(sealed.length).toBeGreaterThan(0);
    const texts = syntheticTicketExamples(400, 5).map((e) => e.text);
    for (const plain of [texts[0]!, texts[1]!, texts[399]!, 'user0@example.com', 'user123@example.com', '"messages"']) expect(sealed.includes(Buffer.from(plain, 'utf8'))).toBe(false);

    // The provenance report: a compact JWS that verifies against the published keys and names this job.
    const [report] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download provenance report (JWS)' }).click()]);
    expect(report.suggestedFilename()).toBe(`job-report-${jobId}.jws`);
    const jws = readFileSync((await report.path())!, 'utf8');
    expect(jws.split('.')).toHaveLength(3);
    const jwks = (await (await fetch(`${s.url}/v1/fine_tuning/reports/jwks`)).json()) as JSONWebKeySet;
    const verified = await compactVerify(jws, createLocalJWKSet(jwks));
    expect(verified.protectedHeader.typ).toBe('confide-job-report+jws');
    const doc = JSON.parse(new TextDecoder().decode(verified.payload)) as { job: { id: string; status: string }; attempts: Array<{ output: { bytes: number } | null }> };
    expect(doc.job).toMatchObject({ id: jobId, status: 'succeeded' });
    expect(doc.attempts.some((a) => a.output?.bytes === sealed.length)).toBe(true);
    // A tampered report does not verify.
    const [h, , sig] = jws.split('.');
    const forged = Buffer.from(JSON.stringify({ ...doc, job: { ...doc.job, status: 'failed' } }), 'utf8').toString('base64url');
    await expect(compactVerify(`${h}.${forged}.${sig}`, createLocalJWKSet(jwks))).rejects.toThrow();

    // The download was audited; another organisation and a job that did not succeed get 404, not the bytes.
    const entries = (await (await fetch(`${s.url}/v1/audit/entries?limit=1000`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { data: Array<{ action: string; canonical: string }> };
    expect(entries.data.filter((e) => e.action === 'job.output_download' && e.canonical.includes(jobId))).toHaveLength(1);
    const globex = await s.token('globex-cli');
    expect((await fetch(`${s.url}/v1/fine_tuning/jobs/${jobId}/output`, { headers: { authorization: `Bearer ${globex}` } })).status).toBe(404);
    const jobs = (await (await fetch(`${s.url}/v1/fine_tuning/jobs?limit=100`, { headers: { authorization: `Bearer ${engineer}` } })).json()) as { data: Array<{ id: string; status: string }> };
    const notSucceeded = jobs.data.find((x) => x.status !== 'succeeded');
    expect(notSucceeded).toBeDefined();
    expect((await fetch(`${s.url}/v1/fine_tuning/jobs/${notSucceeded!.id}/output`, { headers: { authorization: `Bearer ${engineer}` } })).status).toBe(404);

    await shot(page, 'job-detail');
    await ctx.close();
  }, 300_000);

  it('an auditor opens an attestation report (claims, policy, verdict, signed download) and cannot upload', async () => {
    // A simulated node attests for a job over the real API, which writes the report the auditor reads.
    const admin = await s.token();
    const call = async (path: string, body: unknown) => {
      const r = await fetch(`${s.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await r.json()) as Record<string, unknown>;
    };
    const attester = await SimulatedAttester.loadOrCreate(join(s.dataDir, 'dev-pki'));
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const { kty, crv, x, y } = await exportJWK(publicKey);
    const jwk = { kty: kty as 'EC', crv: crv as 'P-384', x: x!, y: y! };
    const ch = await call('/attestation/v1/challenge', { job_id: 'console-job-1', lease_epoch: 1 });
    const ev = await attester.compositeEvidence({ nonce: Buffer.from(ch.nonce as string, 'hex'), teePublicJwk: jwk, gpus: 1 });
    const attested = await call('/attestation/v1/attest', {
      nonce: ch.nonce,
      tee_public_jwk: jwk,
      evidence: {
        cpu: { format: ev.cpu.format, report: Buffer.from(ev.cpu.evidence).toString('base64'), certs: (ev.cpu.certificates ?? []).map((c) => Buffer.from(c).toString('base64')) },
        gpus: ev.gpus.map((g) => ({ format: g.format, report: Buffer.from(g.evidence).toString('base64'), certs: g.certificates.map((c) => Buffer.from(c).toString('base64')) })),
      },
    });
    reportId = attested.report_id as string;
    expect(reportId).toMatch(/^[0-9a-f-]{36}$/);

    const { ctx, page } = await newSession('auditor@confide.local', '/reports');
    await page.getByRole('link', { name: reportId.slice(0, 8) }).click();
    await page.getByRole('heading', { name: /Verdict: affirming/ }).waitFor();
    expect(await page.locator('#claims tbody tr').count()).toBeGreaterThan(3);
    expect(await page.locator('main').innerText()).toContain('dev-simulated');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download signed report (JWS)' }).click()]);
    expect(download.suggestedFilename()).toBe(`attestation-report-${reportId}.jws`);
    const jws = readFileSync((await download.path())!, 'utf8');
    expect(jws.split('.')).toHaveLength(3);
    await expectAccessible(page, 'report detail');
    await shot(page, 'report-detail');
    await nav(page).getByRole('link', { name: 'Attestation reports' }).click();
    await page.locator('table').waitFor();
    await expectAccessible(page, 'reports');
    await shot(page, 'reports');

    // Read-only: no upload button, the upload page says why, and the API refuses even with the CSRF token.
    await nav(page).getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('link', { name: 'support-chats.jsonl' }).waitFor();
    expect(await page.getByRole('link', { name: 'Upload dataset' }).count()).toBe(0);
    await page.goto(`${s.url}/datasets/new`);
    await page.getByRole('heading', { name: 'No access to dataset upload' }).waitFor();
    const status = await page.evaluate(async () => {
      const { csrf_token } = (await fetch('/auth/session').then((r) => r.json())) as { csrf_token: string };
      return (await fetch('/v1/datasets?filename=x.jsonl', { method: 'POST', headers: { 'content-type': 'application/jsonl', 'x-csrf-token': csrf_token }, body: '{}' })).status;
    });
    expect(status).toBe(403);

    // The succeeded job's page offers the auditor the signed provenance report too.
    expect(succeededJobId).toMatch(/^[0-9a-f-]{36}$/);
    await page.goto(`${s.url}/jobs/${succeededJobId}`);
    await page.locator('#job-status').filter({ hasText: 'succeeded' }).waitFor();
    const [prov] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download provenance report (JWS)' }).click()]);
    const provJws = readFileSync((await prov.path())!, 'utf8');
    const jwks = (await (await fetch(`${s.url}/v1/fine_tuning/reports/jwks`)).json()) as JSONWebKeySet;
    const { payload } = await compactVerify(provJws, createLocalJWKSet(jwks));
    expect((JSON.parse(new TextDecoder().decode(payload)) as { job: { id: string } }).job.id).toBe(succeededJobId);
    await ctx.close();
  }, 90_000);

  it('an auditor verifies the audit log in the browser: signatures, rebuilt roots, inclusion and consistency proofs', async () => {
    await s.auditLog.drain();
    await s.auditLog.checkpoint();
    const { ctx, page } = await newSession('auditor@confide.local', '/audit');
    await page.locator('#audit-entries').waitFor();
    const actions = await page.locator('#audit-entries').innerText();
    if (datasetId) expect(actions).toContain('dataset.create');
    expect(actions).toContain('auth.login');
    await page.getByRole('button', { name: 'Verify the log' }).click();
    await page.locator('#verification .badge').filter({ hasText: /^(verified|failed)$/ }).waitFor({ timeout: 30_000 });
    const checks = await page.locator('#verification .checks li').allTextContents();
    expect(checks).toHaveLength(6);
    for (const c of checks) expect(c.startsWith('✓')).toBe(true);
    expect(checks.join('\n')).toMatch(/Inclusion proofs passed: \d+ most recent entries proven included/);
    expect(await page.locator('#verification .badge').innerText()).toBe('verified');
    await expectAccessible(page, 'audit log');
    await shot(page, 'audit-log');
    await ctx.close();
  }, 60_000);

  it('no page broke the Content-Security-Policy', () => {
    expect(cspViolations).toEqual([]);
  });
});
