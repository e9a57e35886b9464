import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join, relative } from 'node:path';

/**
 * Real processes for fault tests: the apps and `confide node run` started from dist as child processes, each in its
 * own process group so `kill -9` hits exactly it, and so whatever is left at the end is always killed.
 */
export const REPO = join(import.meta.dirname, '..', '..');
const REGISTER = join(REPO, 'dist/libs/platform/src/register-aliases.js');

/** Fails (never skips) when dist is missing or older than the sources the processes run. */
export function requireFreshDist(): void {
  const entries = ['dist/apps/enterprise/src/main.js', 'dist/apps/scheduler/src/main.js', 'dist/apps/attestation/src/main.js', 'dist/apps/cli/src/main.js', 'dist/libs/platform/src/register-aliases.js'];
  const missing = entries.filter((e) => !existsSync(join(REPO, e)));
  if (missing.length) throw new Error(`dist is missing (${missing.join(', ')}): run \`npm run build:server\` first (\`npm test\` builds before jest)`);
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.spec.ts') && !p.endsWith('.d.ts')) {
        const out = join(REPO, 'dist', relative(REPO, p).replace(/\.ts$/, '.js'));
        // Files the build leaves out (test helpers) have no output; those it compiles must be newer than their source.
        if (existsSync(out) && statSync(out).mtimeMs < st.mtimeMs) stale.push(relative(REPO, p));
      }
    }
  };
  for (const d of ['apps/enterprise/src', 'apps/scheduler/src', 'apps/attestation/src', 'apps/node-agent/src', 'apps/cli/src', 'libs']) walk(join(REPO, d));
  if (stale.length) throw new Error(`dist is older than ${stale.length} source file(s) (e.g. ${stale.slice(0, 3).join(', ')}): run \`npm run build:server\` first`);
}

const live = new Set<Proc>();
// A crashed or interrupted test run still takes its children down (they are in their own groups).
process.once('exit', () => {
  for (const p of live) p.signal('SIGKILL');
});

/** Stops every child still running (SIGTERM, then SIGKILL after `ms`), including ones a failed start never handed back. */
export async function stopAllProcesses(ms = 5000): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(ms)));
}

/** One child process (group leader) with its output kept line by line. */
export class Proc {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string>,
  ) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_OPTIONS|JEST_|CONFIDE_|DATABASE_|OIDC_|SCHEDULER_|PORT$|HOST$|PUBLIC_URL$)/.test(k)));
    this.child = spawn(process.execPath, args, { cwd: REPO, env: { ...base, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    for (const s of [this.child.stdout!, this.child.stderr!]) {
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        this.lines.push(...parts.filter(Boolean));
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return live.has(this);
  }

  /** Signals the whole process group (`kill -9 -PGID` for SIGKILL). */
  signal(sig: NodeJS.Signals): void {
    if (!live.has(this)) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // already gone
    }
  }

  async kill9(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (!live.has(this)) return;
    this.signal('SIGTERM');
    const t = setTimeout(() => this.signal('SIGKILL'), ms);
    await this.exited;
    clearTimeout(t);
  }

  /** Output tail for failure messages. */
  tail(n = 30): string {
    return `--- ${this.name} (pid ${this.pid}) ---\n${this.lines.slice(-n).join('\n')}`;
  }
}

/** An app from dist (`node --import register-aliases dist/apps/<app>/src/main.js`), ready when /ready answers 200. */
export async function startApp(app: 'enterprise' | 'scheduler' | 'attestation' | 'server', port: number, env: Record<string, string>, ms = 60_000): Promise<Proc> {
  const p = new Proc(app, ['--import', REGISTER, join(REPO, `dist/apps/${app}/src/main.js`)], { ...env, HOST: '127.0.0.1', PORT: String(port) });
  const end = Date.now() + ms;
  for (;;) {
    if (!p.running) throw new Error(`${app} exited during start\n${p.tail()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return p;
    if (Date.now() > end) {
      await p.kill9();
      throw new Error(`${app} not ready after ${ms} ms\n${p.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `confide node run …` from bin/confide.mjs. */
export function startNodeProcess(name: string, args: string[], env: Record<string, string>): Proc {
  return new Proc(`node ${name}`, [join(REPO, 'bin/confide.mjs'), 'node', 'run', '--name', name, ...args], env);
}

/**
 * The ingress of a split deployment: one public origin routing by path to the app that serves it (/scheduler →
 * scheduler, /attestation → attestation, everything else → enterprise), streaming both ways. An app that is down
 * answers 502, as a load balancer would.
 */
export class Gateway {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(port: number, routes: Array<{ prefix: string; port: number }>, fallbackPort: number): Promise<Gateway> {
    const server = createServer((req, res) => {
      const target = routes.find((r) => req.url?.startsWith(r.prefix))?.port ?? fallbackPort;
      const up = httpRequest({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: 'upstream_unavailable', title: 'Bad Gateway' }));
        else res.destroy();
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new Gateway(server, `http://127.0.0.1:${port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
