/**
 * Which callers follow which logs. One follow (one watcher, one stream of events) per log however many
 * clients ask for it; each caller's own watch/unwatch calls are counted separately, so a client that
 * disconnects without unwatching releases exactly what it held, and nothing another client still uses.
 */
export class LogFollows {
  private follows = new Map<string, { holders: Map<string, number>; stop: () => void }>();

  /** Adds one reference of `caller` to `key`; `start` begins the follow (and returns its stop) for the first. */
  follow(caller: string, key: string, start: () => () => void): void {
    let follow = this.follows.get(key);
    if (!follow) {
      follow = { holders: new Map(), stop: start() };
      this.follows.set(key, follow);
    }
    follow.holders.set(caller, (follow.holders.get(caller) ?? 0) + 1);
  }

  /** Drops one reference of `caller` to `key` (none held: nothing happens). */
  unfollow(caller: string, key: string): void {
    const follow = this.follows.get(key);
    const count = follow?.holders.get(caller);
    if (!follow || count === undefined) return;
    if (count > 1) follow.holders.set(caller, count - 1);
    else follow.holders.delete(caller);
    this.stopIfUnused(key);
  }

  /** Drops every reference `caller` holds: the client went away. */
  release(caller: string): void {
    for (const [key, follow] of [...this.follows]) {
      if (follow.holders.delete(caller)) this.stopIfUnused(key);
    }
  }

  /** Stops every follow. */
  close(): void {
    for (const follow of this.follows.values()) follow.stop();
    this.follows.clear();
  }

  /** Logs followed now, each with its references per caller. */
  active(): Map<string, ReadonlyMap<string, number>> {
    return new Map([...this.follows].map(([key, follow]) => [key, new Map(follow.holders)]));
  }

  private stopIfUnused(key: string): void {
    const follow = this.follows.get(key);
    if (follow && follow.holders.size === 0) {
      follow.stop();
      this.follows.delete(key);
    }
  }
}
