import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigfsTsmEvidenceProvider, NodeAgent, NoTeeEvidenceProvider, SimulatedEvidenceProvider, validateNodeCommands, type EvidenceProvider, type NodeCommands } from '../../../node-agent/src/index.js';
import { cliEnv, CliError, EXIT, fetchToken } from '../cli-context.js';

/** `confide node run`: the node agent on this machine (DESIGN §5.3–5.4). */
export function registerNode(program: Command): void {
  const node = program.command('node').description('Run this machine as a confide GPU node');
  node
    .command('run')
    .description('Register (attested identity key) and take leases until interrupted')
    .option('--name <name>', 'node name', 'node-1')
    .option('--tee <kind>', 'evidence: configfs-tsm (real SNP/TDX guest), simulated (dev only), none', 'simulated')
    .option('--tee-type <type>', 'sev-snp or tdx', 'sev-snp')
    .option('--region <region>', 'region code', 'eu-west-1')
    .option('--provider <name>', 'provider name', 'local')
    .option('--price <usd>', 'hourly price', '2')
    .option('--gpu <model:count:memGb>', 'GPU model, count and memory', 'H100:1:80')
    .option('--state-dir <dir>', 'where the identity key is kept (default: $CONFIDE_DATA_DIR/node-<name>)')
    .option('--commands <file>', 'JSON allow-list of external trainers for `trainer: command` jobs: {"name": {"executable": "/abs/path", "args": [], "envAllowList": [], "timeLimitSeconds": 3600}}')
    .option('--command-workspace <dir>', 'tmpfs for command trainers\' decrypted data (refused unless memory-backed)', '/dev/shm')
    .action(async (o: { name: string; tee: string; teeType: string; region: string; provider: string; price: string; gpu: string; stateDir?: string; commands?: string; commandWorkspace: string }) => {
      const env = cliEnv();
      if (o.teeType !== 'sev-snp' && o.teeType !== 'tdx') throw new CliError('--tee-type must be sev-snp or tdx', EXIT.usage);
      let evidence: EvidenceProvider;
      if (o.tee === 'configfs-tsm') evidence = new ConfigfsTsmEvidenceProvider(o.teeType);
      else if (o.tee === 'simulated') evidence = await SimulatedEvidenceProvider.create(join(env.dataDir, 'dev-pki'), o.teeType);
      else if (o.tee === 'none') evidence = new NoTeeEvidenceProvider();
      else throw new CliError('--tee must be configfs-tsm, simulated or none', EXIT.usage);
      let commands: NodeCommands | undefined;
      if (o.commands) {
        try {
          commands = validateNodeCommands(JSON.parse(readFileSync(o.commands, 'utf8')) as NodeCommands);
        } catch (e) {
          throw new CliError(`--commands ${o.commands}: ${(e as Error).message}`, EXIT.usage);
        }
      }
      const [model = 'H100', count = '1', mem = '80'] = o.gpu.split(':');
      let token: { value: string; until: number } | undefined;
      const agent = await NodeAgent.create({
        url: env.url,
        token: async () => {
          if (!token || Date.now() > token.until) {
            const t = await fetchToken(env);
            token = { value: t.access_token, until: Date.now() + Math.max(30, (t.expires_in ?? 300) - 30) * 1000 };
          }
          return token.value;
        },
        stateDir: o.stateDir ?? join(env.dataDir, `node-${o.name}`),
        name: o.name,
        provider: o.provider,
        region: o.region,
        hourlyPrice: Number(o.price),
        gpu: { model, count: Number(count), memory_gb: Number(mem) },
        evidence,
        ...(commands ? { commands, commandWorkspaceRoot: o.commandWorkspace } : {}),
        log: (msg, data) => process.stdout.write(`${JSON.stringify({ msg, ...data })}\n`),
      });
      await agent.start();
      // The agent's own timers are unref'd (it also runs inside other processes, e.g. the embedded server), so this
      // timer is what keeps `node run` alive until it is told to stop; without it the process exits after one beat.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(keepAlive);
      await agent.stop();
    });
}
