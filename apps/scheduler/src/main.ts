// `npm run start:scheduler`: the scheduler on its own.
import { runApp } from '@confide/platform';
import { SchedulerModule } from './scheduler.module.js';

await runApp('scheduler', [SchedulerModule]);
