import type { OptionProblem } from './duration';
import { MESSAGES } from './core.messages';
import type { PeriodicOptions } from './periodic-option-types';
import type { OverlapPolicy } from './routine';

/** Every overlap policy, as options and a trigger take them. */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  'skip',
  'buffer-one',
  'buffer-all',
  'cancel-other',
  'allow',
];
/** `maxBuffered` when it is not given. */
export const DEFAULT_MAX_BUFFERED = 100;
/** Policies that hold one run at a time and decide what the next tick does. */
const ONE_AT_A_TIME: ReadonlySet<OverlapPolicy> = new Set([
  'buffer-one',
  'buffer-all',
  'cancel-other',
]);

/** The overlap policy, checked against `concurrency`, `maxBuffered` and the scope. */
export function checkOverlap(problems: OptionProblem[], options: PeriodicOptions): OverlapPolicy {
  const { overlap, concurrency, maxBuffered } = options;
  const manyAtOnce =
    typeof concurrency === 'function' || (typeof concurrency === 'number' && concurrency > 1);
  if (overlap !== undefined && !OVERLAP_POLICIES.includes(overlap)) {
    problems.push({ option: 'overlap', value: overlap, message: MESSAGES.badOverlap });
    return 'skip';
  }
  const policy = overlap ?? (manyAtOnce ? 'allow' : 'skip');
  if (ONE_AT_A_TIME.has(policy) && manyAtOnce) {
    problems.push({
      option: 'concurrency',
      value: concurrency,
      message: MESSAGES.overlapOneAtATime(policy),
    });
  }
  if (policy === 'allow' && !manyAtOnce) {
    problems.push({ option: 'overlap', value: overlap, message: MESSAGES.allowNeedsConcurrency });
  }
  if (maxBuffered !== undefined) {
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      problems.push({
        option: 'maxBuffered',
        value: maxBuffered,
        message: MESSAGES.badMaxBuffered,
      });
    } else if (policy !== 'buffer-all') {
      problems.push({
        option: 'maxBuffered',
        value: maxBuffered,
        message: MESSAGES.maxBufferedWithout(policy),
      });
    }
  }
  return policy;
}

/** `concurrency`: a whole number from 1, or a function read at every tick. */
export function checkConcurrency(problems: OptionProblem[], concurrency: unknown): void {
  if (
    concurrency === undefined ||
    typeof concurrency === 'function' ||
    (Number.isInteger(concurrency) && (concurrency as number) >= 1)
  )
    return;
  problems.push({ option: 'concurrency', value: concurrency, message: MESSAGES.badConcurrency });
}
