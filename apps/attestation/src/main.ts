// `npm run start:attestation`: the attestation service and key broker on its own.
import { runApp } from '@confide/platform';
import { AttestationModule } from './attestation.module.js';

await runApp('attestation', [AttestationModule]);
