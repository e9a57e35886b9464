import { Module } from '@nestjs/common';
import { ConsoleAuthController } from './console-auth.controller.js';
import { ConsoleHost } from './console-host.js';
import { ConsoleOidcClient } from './console-oidc.client.js';
import { ConsoleSessionStore } from './console-session.store.js';

/** Serves the web console (apps/console, built into dist/console) and its backend-for-frontend sign-in. */
@Module({
  controllers: [ConsoleAuthController],
  providers: [ConsoleSessionStore, ConsoleOidcClient, ConsoleHost],
})
export class ConsoleModule {}
