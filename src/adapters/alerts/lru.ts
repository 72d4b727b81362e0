/** A set that remembers at most `capacity` keys, forgetting the least recently added or seen. */
export class BoundedLruSet {
  private readonly keys = new Map<string, true>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity (${capacity}) must be at least 1`);
  }

  /** True when `key` was already present (it becomes the most recent); otherwise adds it. */
  seen(key: string): boolean {
    const present = this.keys.delete(key);
    this.keys.set(key, true);
    if (!present && this.keys.size > this.capacity) {
      const oldest = this.keys.keys().next().value as string;
      this.keys.delete(oldest);
    }
    return present;
  }

  get size(): number {
    return this.keys.size;
  }
}
