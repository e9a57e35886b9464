// The main job: one process hosting the enterprise, scheduler and attestation apps on embedded defaults.
import { runApp } from '@confide/platform';
import { ALL_APPS, APP_MODULES } from './all-in-one.js';

await runApp('all-in-one', ALL_APPS.map((a) => APP_MODULES[a]));
