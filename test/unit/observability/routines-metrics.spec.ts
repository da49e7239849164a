import { Registry } from 'prom-client';
import * as promClient from 'prom-client';
import { ManualClock } from '../../../lib/core';
import { RoutinesMetrics } from '../../../lib/observability/routines-metrics';

async function scrape(registry: Registry): Promise<string> {
  return registry.metrics();
}

describe('RoutinesMetrics', () => {
  it('counts every skip reason, the last one listed (missed) included', async () => {
    const registry = new Registry();
    const metrics = new RoutinesMetrics(promClient, registry, 'routines_', () => []);
    const recorder = metrics.recorderFor('janitor', new ManualClock(0), undefined);
    for (const reason of ['busy', 'late', 'missed', 'missed'] as const)
      recorder.skipped(0, true, reason, 0);
    const text = await scrape(registry);
    expect(text).toContain('routines_skipped_total{routine="janitor",reason="busy"} 1');
    expect(text).toContain('routines_skipped_total{routine="janitor",reason="late"} 1');
    expect(text).toContain('routines_skipped_total{routine="janitor",reason="missed"} 2');
    metrics.unregister();
    expect(await scrape(registry)).toBe('\n');
  });

  it('registers every metric of the design under the prefix, and takes them out again', async () => {
    const registry = new Registry();
    const metrics = new RoutinesMetrics(promClient, registry, 'app_', () => []);
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
    expect(names).toEqual(
      [
        'app_claims_total',
        'app_in_flight',
        'app_job_duration_seconds',
        'app_jobs_in_flight',
        'app_jobs_total',
        'app_last_run_timestamp_seconds',
        'app_lease_held',
        'app_migration_batches_total',
        'app_migration_progress',
        'app_restarts_total',
        'app_run_duration_seconds',
        'app_runs_total',
        'app_skipped_total',
        'app_state',
        'app_worker_oldest_queued_seconds',
        'app_worker_rows',
      ].sort(),
    );
    metrics.unregister();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });
});
