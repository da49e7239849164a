// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Cluster, Redis } from 'ioredis';
import { MESSAGES } from './redis.messages';

/**
 * Warns once if the server may evict keys that have a ttl (claims and leases) or any key
 * (markers, epochs). Managed services often refuse CONFIG: then nothing is said. Asked on
 * the first claim or acquire, not at construction: the app's client may not be connected yet.
 */
export class RedisServerCheck {
  private checked = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly logger: { warn(message: string): void },
  ) {}

  once(): void {
    if (this.checked) return;
    this.checked = true;
    const client = this.client as Redis;
    if (typeof client.config !== 'function' || (this.client as Cluster).isCluster) return;
    (client.config('GET', 'maxmemory-policy') as Promise<unknown>).then(
      (reply) => {
        const policy = Array.isArray(reply) ? String(reply[1]) : '';
        if (policy && policy !== 'noeviction') {
          this.logger.warn(MESSAGES.evictingPolicy(policy));
        }
      },
      () => undefined,
    );
  }
}
