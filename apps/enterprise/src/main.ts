// `npm run start:enterprise`: the enterprise API on its own (run with the @confide alias hook; see package.json).
import { runApp } from '@confide/platform';
import { EnterpriseModule } from './enterprise.module.js';

await runApp('enterprise', [EnterpriseModule]);
