/** Why a lease failed, as the agent reports it to the scheduler: a stable code and whose retry budget it charges. */
export class AgentFailure extends Error {
  constructor(
    readonly code: string,
    readonly kind: 'infra' | 'user',
  ) {
    super(code);
  }
}
