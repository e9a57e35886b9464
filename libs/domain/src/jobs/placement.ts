/** What a job needs from a node, resolved from its `privacy` and `placement` sub-objects. */
export interface PlacementRequirements {
  readonly teeTypes: readonly string[];
  readonly minGpuMemoryGb: number;
  readonly gpuModels?: readonly string[];
  /** Allowed regions or region prefixes ("eu" allows "eu-west-1"); undefined = anywhere. */
  readonly regions?: readonly string[];
  readonly maxHourlyPrice?: number;
  readonly minReliability: number;
  readonly allowInterruptible: boolean;
}

export interface NodeAttributes {
  readonly teeType: string;
  readonly gpuModel: string;
  readonly gpuMemoryGb: number;
  readonly region: string;
  readonly hourlyPrice: number;
  readonly reliability: number;
  readonly interruptible: boolean;
  readonly active: boolean;
  /** Heartbeat still fresh (by the database clock, decided by the caller). */
  readonly online: boolean;
  readonly freeSlots: number;
}

/**
 * Why a node cannot take a job, in the order the filters apply. Static reasons first, then liveness.
 * `failed_verification`: the node returned an output for this very job that failed verification; it never gets it again.
 */
export const FILTER_REASONS = ['tee_type', 'gpu_memory', 'gpu_model', 'region', 'price', 'reliability', 'interruptible', 'failed_verification', 'inactive', 'offline', 'busy'] as const;
export type FilterReason = (typeof FILTER_REASONS)[number];

export const CONFIDENTIAL_TEE_TYPES = ['sev-snp', 'tdx'] as const;

export function requirementsFor(
  privacy: { mode: 'tee' | 'fhe' },
  placement: { tee_types?: readonly string[]; min_gpu_memory_gb?: number; gpu_models?: readonly string[]; regions?: readonly string[]; max_hourly_price?: number; min_reliability?: number; interruptible?: boolean },
): PlacementRequirements {
  // A TEE job can only run on confidential hardware whatever the caller lists; an FHE job can run anywhere.
  const allowed: readonly string[] = privacy.mode === 'tee' ? CONFIDENTIAL_TEE_TYPES : ['sev-snp', 'tdx', 'none'];
  const teeTypes = placement.tee_types?.length ? placement.tee_types.filter((t) => allowed.includes(t)) : allowed;
  return {
    teeTypes,
    minGpuMemoryGb: placement.min_gpu_memory_gb ?? 0,
    ...(placement.gpu_models?.length ? { gpuModels: placement.gpu_models } : {}),
    ...(placement.regions?.length ? { regions: placement.regions } : {}),
    ...(placement.max_hourly_price !== undefined ? { maxHourlyPrice: placement.max_hourly_price } : {}),
    minReliability: placement.min_reliability ?? 0,
    allowInterruptible: placement.interruptible ?? false,
  };
}

export function regionAllowed(region: string, allowed: readonly string[] | undefined): boolean {
  return !allowed || allowed.some((a) => region === a || region.startsWith(`${a}-`));
}

/** SQL LIKE patterns equivalent to `regionAllowed` (region codes carry no LIKE metacharacters but `-`). */
export function regionPatterns(allowed: readonly string[] | undefined): string[] | undefined {
  return allowed?.flatMap((a) => [a, `${a}-%`]);
}

export function nodeRejections(n: NodeAttributes, r: PlacementRequirements): FilterReason[] {
  const out: FilterReason[] = [];
  if (!r.teeTypes.includes(n.teeType)) out.push('tee_type');
  if (n.gpuMemoryGb < r.minGpuMemoryGb) out.push('gpu_memory');
  if (r.gpuModels && !r.gpuModels.includes(n.gpuModel)) out.push('gpu_model');
  if (!regionAllowed(n.region, r.regions)) out.push('region');
  if (r.maxHourlyPrice !== undefined && n.hourlyPrice > r.maxHourlyPrice) out.push('price');
  if (n.reliability < r.minReliability) out.push('reliability');
  if (n.interruptible && !r.allowInterruptible) out.push('interruptible');
  if (!n.active) out.push('inactive');
  if (!n.online) out.push('offline');
  if (n.freeSlots <= 0) out.push('busy');
  return out;
}

/** The rank placement uses: expected price of a completed hour, then price. Lower is better. */
export function placementRank(n: Pick<NodeAttributes, 'hourlyPrice' | 'reliability'>): [number, number] {
  return [n.hourlyPrice / Math.max(n.reliability, 0.05), n.hourlyPrice];
}

/**
 * Why a queued job is not placed yet, from the rejections of every node: the static filter that removed the most
 * nodes when none passes them, `no_capacity` when matching nodes exist but are offline or full.
 */
export function pendingReasonFrom(rejections: ReadonlyArray<readonly FilterReason[]>): string | null {
  if (rejections.some((r) => r.length === 0)) return null;
  const statics = rejections.filter((r) => r.every((x) => x === 'inactive' || x === 'offline' || x === 'busy'));
  if (statics.length > 0) return 'no_capacity';
  if (rejections.length === 0) return 'no_nodes_registered';
  const counts = new Map<FilterReason, number>();
  for (const r of rejections) for (const x of r) counts.set(x, (counts.get(x) ?? 0) + 1);
  const top = FILTER_REASONS.filter((f) => counts.has(f)).sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0))[0];
  return `no_node_matches_${top ?? 'requirements'}`;
}
