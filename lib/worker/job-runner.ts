import type { Clock } from '../core/clock';
import { describeError } from '../core/logger';
import type {
  DbWorkerOptions,
  JobContext,
  JobHandler,
  JobOutcome,
} from './interfaces/job.interface';
import type { JobAttempt } from './job-attempt';
import type { HandlerResult, JobSettlement } from './job-settlement';
import type { StuckHandlers } from './stuck-handlers';
import type { WorkerLogger } from './worker-reporter';
import { MESSAGES } from './worker.messages';

/**
 * Runs one attempt: calls the handler (inside `wrap`) with its context, aborts it at its
 * `timeout`, stops waiting for it once its signal aborts, writes its end, hands a handler that
 * ignored its signal to the stuck handlers, and tells the recorder.
 */
export class JobRunner<Row> {
  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly timeoutMs: number | undefined,
    private readonly handler: JobHandler<Row>,
    private readonly settlement: JobSettlement<Row>,
    private readonly stuck: StuckHandlers<Row>,
    private readonly logger: WorkerLogger,
    private readonly wrap: DbWorkerOptions['wrap'],
    private readonly recorder: DbWorkerOptions['recorder'],
  ) {}

  /** Resolves once the attempt's end was written, or could not be: its slot is then free. */
  async run(attempt: JobAttempt<Row>): Promise<void> {
    const began = this.clock.now();
    const timeout =
      this.timeoutMs === undefined
        ? undefined
        : this.clock.setTimer(began + this.timeoutMs, () => attempt.abort('timeout'));
    const result = await this.handlerOrAbort(attempt);
    if (timeout) this.clock.clearTimer(timeout);
    const durationMs = this.clock.now() - began;
    let error = result?.error;
    let outcome: JobOutcome;
    try {
      outcome = await this.settlement.settle(attempt, result);
    } catch (writeError) {
      // The row stays processing; its heartbeat stops, so the resetter hands it on.
      const reason = describeError(writeError).message;
      this.logger.error(MESSAGES.endNotWritten(this.name, attempt.job.id, reason));
      outcome = 'lost';
      error ??= writeError;
    }
    if (!attempt.handlerSettled) this.stuck.add(attempt);
    if (!this.recorder) return;
    if (error === undefined && attempt.cause && outcome !== 'succeeded')
      error = attempt.stopError();
    try {
      this.recorder.ended(attempt.job, outcome, this.clock.wallOf(began), durationMs, error);
    } catch {
      // A recorder's failure is not the job's.
    }
  }

  /**
   * The handler's end, or its signal aborting (undefined): a handler that ignores its signal
   * does not keep its row. One promise per job for both (measured: a race costs more).
   */
  private handlerOrAbort(attempt: JobAttempt<Row>): Promise<HandlerResult> {
    const { job, controller } = attempt;
    const context: JobContext = {
      id: job.id,
      attempt: job.attempt,
      signal: controller.signal,
      holdsRow: () => attempt.hold.holds(),
      token: job.claim,
    };
    return new Promise<HandlerResult>((resolve) => {
      attempt.cut = () => resolve(undefined);
      void this.invoke(job.row, context).then((settled) => {
        attempt.handlerSettled = true;
        attempt.onSettled?.();
        resolve(settled);
      });
    });
  }

  /** Calls the handler (inside `wrap`); never rejects. */
  private async invoke(
    row: Row,
    context: JobContext,
  ): Promise<{ failed: boolean; error?: unknown }> {
    try {
      if (this.wrap) {
        const { id, attempt, signal } = context;
        await this.wrap({ id, attempt, signal }, async () => this.handler(row, context));
      } else await this.handler(row, context);
      return { failed: false };
    } catch (error) {
      return { failed: true, error };
    }
  }
}
