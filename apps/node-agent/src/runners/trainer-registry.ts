import { FHE_LOGREG_TRAINER, FheLogRegTrainer, type FheLogRegInput, type FheLogRegOptions } from '@confide/fhe';
import type { Trainer } from '@confide/training';

/**
 * The trainers an agent runs by job `trainer` name. Defaults are the real ones; an operator embedding the agent
 * (or a test) may pass others through `NodeAgentOptions.trainers` — e.g. a wrapped trainer to model a node that
 * returns wrong results, which sampled replay must catch. There is no flag that makes the default trainers cheat.
 */
export interface AgentTrainers {
  readonly [FHE_LOGREG_TRAINER]: Trainer<FheLogRegInput, FheLogRegOptions>;
}

export function agentTrainers(overrides: Partial<AgentTrainers> = {}): AgentTrainers {
  return { [FHE_LOGREG_TRAINER]: overrides[FHE_LOGREG_TRAINER] ?? new FheLogRegTrainer() };
}
