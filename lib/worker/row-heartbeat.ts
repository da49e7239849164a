import type { Clock } from '../core/clock';
import { jobKey } from './claimed-job';
import type { JobAttempt } from './job-attempt';
import type { WorkerReporter } from './worker-reporter';
import type { WorkerTablePort } from './worker-table.port';
import { MESSAGES } from './worker.messages';

/**
 * One heartbeat: one statement for every attempt running (and not aborted). Each row still ours
 * has its hold renewed from when the statement was sent; a row no longer ours loses its hold
 * (its signal aborts), and a row an operator asked to cancel is aborted as cancelled. When the
 * statement fails, nothing is renewed: each row's hold aborts it at its deadline unless a later
 * heartbeat answers first.
 */
export async function heartbeatRows<Row>(
  running: ReadonlySet<JobAttempt<Row>>,
  table: WorkerTablePort<Row>,
  clock: Clock,
  reporter: WorkerReporter,
): Promise<void> {
  const all = [...running].filter((attempt) => attempt.cause === undefined);
  if (all.length === 0) return;
  const sentAt = clock.now();
  let answer: { alive: Set<string>; cancel: Set<string> };
  try {
    answer = await table.heartbeat(all.map((attempt) => attempt.job));
  } catch (error) {
    reporter.failed('heartbeat', error);
    return;
  }
  reporter.answered();
  for (const attempt of all) {
    if (!running.has(attempt) || attempt.cause) continue; // ended meanwhile
    const key = jobKey(attempt.job);
    if (!answer.alive.has(key)) {
      attempt.hold.lose(new Error(MESSAGES.notOurs));
      continue;
    }
    attempt.hold.renewed(sentAt);
    if (answer.cancel.has(key)) attempt.abort('cancel');
  }
}
