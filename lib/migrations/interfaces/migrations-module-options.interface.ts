/** Module option `migrations`. */
export interface MigrationsModuleOptions {
  /**
   * Out-of-band migrations that must be complete (forward, progress 1) before this version
   * starts: the app refuses to bootstrap while one is not, as Sourcegraph refuses to start a
   * version whose deprecated migrations are unfinished.
   */
  require?: string[];
  /**
   * Instead of refusing at once, run the migrations here and wait for them up to this long;
   * the app's routines start once they are complete. Each migration has a lease of its own,
   * held by one of the replicas that declare it: a migration this version adds is run here at
   * once, whatever an older version holds. Default: no wait.
   */
  wait?: string | number;
}
