import { toMilliseconds, type OptionProblem } from './duration';
import { MESSAGES } from './core.messages';
import type { MarkerTiming } from '../cluster/cluster-overlap';
import { validateLeaseOptions } from '../cluster/lease-keeper';
import type { PeriodicOptions } from './periodic-option-types';

const DEFAULT_MARKER_TTL_MS = 15_000;
const DEFAULT_MARKER_RETRY_MS = 500;

/** `lease` on a periodic routine: the run marker's timing, in cluster scope only. */
export function checkMarker(problems: OptionProblem[], options: PeriodicOptions): MarkerTiming {
  const { lease } = options;
  const found = validateLeaseOptions(lease);
  problems.push(...found);
  if (lease !== undefined && options.scope !== 'cluster') {
    problems.push({ option: 'lease', value: lease, message: MESSAGES.leaseOnlyInCluster });
  }
  if (lease === undefined || found.length > 0) {
    return {
      ttlMs: DEFAULT_MARKER_TTL_MS,
      renewEveryMs: DEFAULT_MARKER_TTL_MS / 3,
      retryEveryMs: DEFAULT_MARKER_RETRY_MS,
    };
  }
  const ttlMs =
    lease.ttl === undefined ? DEFAULT_MARKER_TTL_MS : toMilliseconds(lease.ttl, 'lease.ttl');
  return {
    ttlMs,
    renewEveryMs:
      lease.renewEvery === undefined
        ? Math.max(1, Math.floor(ttlMs / 3))
        : toMilliseconds(lease.renewEvery, 'lease.renewEvery'),
    retryEveryMs:
      lease.retryEvery === undefined
        ? Math.min(DEFAULT_MARKER_RETRY_MS, ttlMs)
        : toMilliseconds(lease.retryEvery, 'lease.retryEvery'),
  };
}
