import { mulberry32 } from '../../core/reference/random.js';

/**
 * Uniform sampling of a stream of unknown length with a fixed memory (docs/feature-stores.md,
 * "Row cap"): Vitter's Algorithm R. After n offers each item is kept with probability k/n,
 * independently of its position. The generator is seeded, so the same items offered in the same
 * order keep the same sample (the job seeds it with the window end: a rerun keeps the same rows).
 *
 * J. S. Vitter, "Random sampling with a reservoir", ACM TOMS 11(1), 1985.
 */
export class Reservoir<T> {
  /** Kept items with their offer index (0-based), in slot order. */
  readonly kept: { index: number; item: T }[] = [];
  /** Items offered so far. */
  seen = 0;
  private readonly random: () => number;

  constructor(
    readonly capacity: number,
    seed: number,
  ) {
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) throw new RangeError(`a reservoir's capacity must be a positive integer, got ${capacity}`);
    this.random = mulberry32(seed);
  }

  offer(item: T): void {
    const index = this.seen++;
    if (index < this.capacity) {
      this.kept.push({ index, item });
      return;
    }
    // A uniform slot in [0, index]: the item replaces a kept one when the slot is a kept slot.
    const slot = Math.floor(this.random() * (index + 1));
    if (slot < this.capacity) this.kept[slot] = { index, item };
  }

  /** The kept items in the order they were offered. */
  inOrder(): T[] {
    return [...this.kept].sort((a, b) => a.index - b.index).map((k) => k.item);
  }
}

/** A 32-bit seed from a window end in ms (its low and high words mixed). */
export function seedOfWindowEnd(endMs: number): number {
  const lo = endMs % 4_294_967_296;
  const hi = Math.floor(endMs / 4_294_967_296);
  return (Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35)) >>> 0;
}
