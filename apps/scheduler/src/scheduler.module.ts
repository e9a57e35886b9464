import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { CompositeVerifier, SimulatedAttester } from '@confide/attestation';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { SchedulerSettings } from './common/scheduler.settings.js';
import { LeaseService } from './leases/lease.service.js';
import { LeasesController } from './leases/leases.controller.js';
import { CompositeNodeEvidenceVerifier, NODE_EVIDENCE_VERIFIER } from './nodes/node-evidence.verifier.js';
import { NodeRegistryService } from './nodes/node-registry.service.js';
import { NodeRequestAuthenticator } from './nodes/node-request.authenticator.js';
import { NodesController } from './nodes/nodes.controller.js';
import { PlacementService } from './placement/placement.service.js';
import { SchedulerLoops } from './scheduler.loops.js';
import { SweeperService } from './sweeper/sweeper.service.js';

/** The scheduler: node registry, placement, leases with fencing epochs, heartbeats, the sweeper and reputation. */
@Module({
  controllers: [NodesController, LeasesController],
  providers: [
    { provide: SchedulerSettings, inject: [APP_CONFIG], useFactory: (config: AppConfig) => SchedulerSettings.fromConfig(config.scheduler) },
    {
      provide: NODE_EVIDENCE_VERIFIER,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        // The development PKI (same files as the attestation app's) is trusted only in embedded mode, as simulated.
        if (config.mode !== 'embedded') return new CompositeNodeEvidenceVerifier(new CompositeVerifier(), false);
        const attester = await SimulatedAttester.loadOrCreate(join(config.dataDir, 'dev-pki'));
        return new CompositeNodeEvidenceVerifier(new CompositeVerifier({ simulatedAnchors: attester.anchors }), true);
      },
    },
    NodeRequestAuthenticator,
    NodeRegistryService,
    LeaseService,
    PlacementService,
    SweeperService,
    SchedulerLoops,
  ],
  exports: [PlacementService, SweeperService, SchedulerSettings],
})
export class SchedulerModule {}
