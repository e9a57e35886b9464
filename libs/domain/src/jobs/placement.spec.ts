import { nodeRejections, pendingReasonFrom, placementRank, regionAllowed, regionPatterns, requirementsFor, type NodeAttributes } from './placement.js';

const node = (o: Partial<NodeAttributes> = {}): NodeAttributes => ({
  teeType: 'sev-snp', gpuModel: 'H100', gpuMemoryGb: 80, region: 'eu-west-1', hourlyPrice: 3, reliability: 0.9, interruptible: false, active: true, online: true, freeSlots: 1, ...o,
});

describe('placement filters', () => {
  it('never lets a TEE job onto a non-TEE node, even if asked', () => {
    const r = requirementsFor({ mode: 'tee' }, { tee_types: ['none', 'tdx'] });
    expect(r.teeTypes).toEqual(['tdx']);
    expect(nodeRejections(node({ teeType: 'none' }), r)).toContain('tee_type');
    expect(requirementsFor({ mode: 'fhe' }, {}).teeTypes).toContain('none');
  });

  it('filters on memory, model, region prefix, price, reliability, interruptible and liveness', () => {
    const r = requirementsFor({ mode: 'tee' }, { min_gpu_memory_gb: 96, gpu_models: ['B200'], regions: ['us'], max_hourly_price: 2, min_reliability: 0.95 });
    expect(nodeRejections(node({ interruptible: true, online: false, freeSlots: 0 }), r)).toEqual(['gpu_memory', 'gpu_model', 'region', 'price', 'reliability', 'interruptible', 'offline', 'busy']);
    expect(nodeRejections(node(), requirementsFor({ mode: 'tee' }, { regions: ['eu'] }))).toEqual([]);
  });

  it('matches regions by prefix the same way in TS and SQL', () => {
    expect(regionAllowed('eu-west-1', ['eu'])).toBe(true);
    expect(regionAllowed('europe-1', ['eu'])).toBe(false);
    expect(regionPatterns(['eu'])).toEqual(['eu', 'eu-%']);
  });

  it('ranks by expected price of a completed hour', () => {
    expect(placementRank({ hourlyPrice: 2, reliability: 0.5 })[0]).toBeGreaterThan(placementRank({ hourlyPrice: 3, reliability: 0.9 })[0]);
  });

  it('explains a pending job', () => {
    const r = requirementsFor({ mode: 'tee' }, { regions: ['us'] });
    expect(pendingReasonFrom([nodeRejections(node(), r), nodeRejections(node(), r)])).toBe('no_node_matches_region');
    expect(pendingReasonFrom([nodeRejections(node({ freeSlots: 0 }), requirementsFor({ mode: 'tee' }, {}))])).toBe('no_capacity');
    expect(pendingReasonFrom([[]])).toBeNull();
    expect(pendingReasonFrom([])).toBe('no_nodes_registered');
    // The only matching node already returned a failed output for this job: the job says so instead of waiting silently.
    expect(pendingReasonFrom([[...nodeRejections(node(), requirementsFor({ mode: 'tee' }, {})), 'failed_verification']])).toBe('no_node_matches_failed_verification');
  });
});
