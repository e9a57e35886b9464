import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core (never a downloaded browser). `.ci/run` installs it with apt-get.
 * Playwright gives every launch a new empty --user-data-dir of its own.
 */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => existsSync(p));
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('chromium is not installed: apt-get update && apt-get install -y chromium');
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, env: { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'confide-chromium-home-')) } });
}

/** The built SPA is served from dist/console; build it when a test runs without `npm run build` first. */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(process.cwd(), 'dist', 'console', 'index.html'))) return;
  const r = spawnSync(join(process.cwd(), 'node_modules/.bin/node'), [join(process.cwd(), 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`console build failed: ${r.stderr}`);
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/** axe-core injected through the DevTools protocol (page.evaluate is not subject to the page's CSP). */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(`${AXE_SOURCE}\n;void 0`);
  const result = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })`)) as {
    violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }>;
  };
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
}

export const seriousOrWorse = (v: readonly AxeViolation[]): AxeViolation[] => v.filter((x) => x.impact === 'serious' || x.impact === 'critical');
