// Background loops (reconciler, outbox, expiry): each pass is bounded and safe with several instances.
import type { Logger } from './log.js';

export interface BackgroundJob {
  name: string;
  intervalMs: number;
  /** One bounded pass; claims its rows with SKIP LOCKED or leases, never in-memory state. */
  runOnce(): Promise<unknown>;
}

export interface RunningJobs {
  stop(): Promise<void>;
}

/** Runs each job now and then every intervalMs (no overlap with itself) until stopped. */
export function startJobs(jobs: BackgroundJob[], log: Logger): RunningJobs {
  let stopping = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  const schedule = (job: BackgroundJob, delayMs: number) => {
    if (stopping) return;
    const t = setTimeout(() => {
      timers.delete(t);
      const run = job
        .runOnce()
        .catch((err) => log.warn('background job failed', { job: job.name, err }))
        .then(() => {
          inFlight.delete(run);
          schedule(job, job.intervalMs);
        });
      inFlight.add(run);
    }, delayMs);
    t.unref();
    timers.add(t);
  };
  for (const job of jobs) schedule(job, 0);

  return {
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
