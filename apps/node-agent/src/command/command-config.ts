import { isAbsolute } from 'node:path';

/**
 * One external trainer a node operator allows on this node. Jobs name it (`hyperparameters.command`); they never
 * carry an executable path, arguments or environment, so what can run next to decrypted data is decided by the
 * operator's configuration alone, and the data owner can pin the exact binary by digest.
 */
export interface NodeCommandSpec {
  /** Absolute path of the executable. Its digest (with any script argument, see commandDigest) is taken before each run and reported in the job's events. */
  readonly executable: string;
  readonly args?: readonly string[];
  /** Variables copied from the agent's environment (never credentials: names that look like secrets are refused). */
  readonly envAllowList?: readonly string[];
  /** Upper bound on one run; the job's `budget.max_duration_seconds` can only shorten it. Default 1 hour. */
  readonly timeLimitSeconds?: number;
  /** SIGTERM → SIGKILL grace on timeout or cancel. Default 5 s. */
  readonly killGraceMs?: number;
  /** Cap on what the trainer may leave in its output directory. Default 256 MiB (it is sealed as one blob). */
  readonly maxOutputBytes?: number;
}

export type NodeCommands = Readonly<Record<string, NodeCommandSpec>>;

export const COMMAND_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Variables every trainer gets from the agent unless its spec lists its own. */
export const DEFAULT_ENV_ALLOW_LIST = ['PATH', 'LANG', 'LC_ALL', 'TZ'] as const;
const SECRET_LOOKING = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|SESSION|COOKIE|AUTH|^AWS_|^CONFIDE_/i;

/**
 * Checks the operator's command table at agent start, so a bad entry fails `confide node run` loudly instead of a
 * job later. Errors name the command and the field.
 */
export function validateNodeCommands(commands: NodeCommands): NodeCommands {
  for (const [name, spec] of Object.entries(commands)) {
    const bad = (field: string, why: string): never => {
      throw new Error(`node command "${name}": ${field} ${why}`);
    };
    if (!COMMAND_NAME.test(name)) bad('name', 'must be 1-64 characters of [a-z0-9._-]');
    if (typeof spec.executable !== 'string' || !isAbsolute(spec.executable)) bad('executable', 'must be an absolute path');
    if (spec.args !== undefined && (!Array.isArray(spec.args) || spec.args.some((a) => typeof a !== 'string' || a.includes('\0')))) bad('args', 'must be a list of strings');
    for (const v of spec.envAllowList ?? []) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) bad('envAllowList', `has an invalid name ${JSON.stringify(v)}`);
      if (SECRET_LOOKING.test(v)) bad('envAllowList', `must not pass ${v} (it looks like a credential or agent setting)`);
    }
    if (spec.timeLimitSeconds !== undefined && !(Number.isInteger(spec.timeLimitSeconds) && spec.timeLimitSeconds > 0)) bad('timeLimitSeconds', 'must be a positive integer');
    if (spec.killGraceMs !== undefined && !(Number.isInteger(spec.killGraceMs) && spec.killGraceMs >= 0)) bad('killGraceMs', 'must be a non-negative integer');
    if (spec.maxOutputBytes !== undefined && !(Number.isInteger(spec.maxOutputBytes) && spec.maxOutputBytes > 0)) bad('maxOutputBytes', 'must be a positive integer');
  }
  return commands;
}
