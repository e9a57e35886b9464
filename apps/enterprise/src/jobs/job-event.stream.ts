import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Principal } from '@confide/domain';
import { LOGGER } from '@confide/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { JobsService } from './jobs.service.js';

const POLL_MS = 300;
const KEEPALIVE_MS = 15_000;

/**
 * Live job events as Server-Sent Events. Events are read from the database (so any replica serves any stream) in
 * per-job `seq` order, which is gap-free and commit-ordered; `id:` is the seq, so `Last-Event-ID` resumes exactly.
 * The stream ends with an `end` event once the job is terminal and every event was sent.
 */
@Injectable()
export class JobEventStream implements OnModuleDestroy {
  private readonly open_ = new Set<() => void>();

  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async open(p: Principal, jobId: string, afterSeq: number, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Errors before the stream starts (unknown job) still become problem+json.
    let batch = await this.jobs.eventsAfter(p, jobId, afterSeq);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-request-id': String(req.id), 'x-accel-buffering': 'no' });
    raw.write(': confide job events\n\n');
    let seq = afterSeq;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let lastWrite = Date.now();
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      this.open_.delete(close);
      raw.end();
    };
    this.open_.add(close);
    req.raw.on('close', close);
    const pump = async (): Promise<void> => {
      try {
        for (const e of batch.events) {
          raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
          seq = e.seq;
          lastWrite = Date.now();
        }
        if (batch.terminal && batch.events.length === 0) {
          const job = await this.jobs.get(p, jobId);
          raw.write(`event: end\ndata: ${JSON.stringify({ id: job.id, status: job.status, phase: job.phase })}\n\n`);
          close();
          return;
        }
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          raw.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        if (closed) return;
        timer = setTimeout(() => {
          void (async () => {
            if (closed) return;
            batch = await this.jobs.eventsAfter(p, jobId, seq);
            await pump();
          })().catch((err: unknown) => {
            this.log.warn({ err, jobId }, 'job event stream failed');
            close();
          });
        }, batch.events.length > 0 ? 0 : POLL_MS);
      } catch (err) {
        this.log.warn({ err, jobId }, 'job event stream failed');
        close();
      }
    };
    await pump();
  }

  onModuleDestroy(): void {
    for (const c of [...this.open_]) c();
  }
}
