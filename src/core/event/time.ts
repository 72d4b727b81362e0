const COLON = 58;

/**
 * Epoch ms of "YYYY-MM-DDTHH:MM:SS.sssZ" or "YYYY-MM-DDTHH:MM:SSZ" (what toISOString and most
 * producers write), read from bytes; NaN for anything else, which the caller hands to
 * Date.parse. The midnight of the date comes from Date.parse once per date (so invalid dates
 * stay invalid); the time of day is checked field by field (00–23, 00–59, 00–59) and added.
 */
export class IsoTimeReader {
  private date = Buffer.alloc(10);
  private midnight = Number.NaN;

  read(b: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if ((length !== 24 && length !== 20) || b[end - 1] !== 90 /* Z */ || b[start + 10] !== 84 /* T */) return Number.NaN;
    if (b[start + 13] !== COLON || b[start + 16] !== COLON) return Number.NaN;
    if (!this.sameDate(b, start)) {
      this.date = Buffer.from(b.subarray(start, start + 10));
      const text = this.date.toString('latin1');
      this.midnight = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
    }
    if (this.midnight !== this.midnight) return Number.NaN;
    const hours = twoDigits(b, start + 11);
    const minutes = twoDigits(b, start + 14);
    const seconds = twoDigits(b, start + 17);
    if (!(hours <= 23 && minutes <= 59 && seconds <= 59)) return Number.NaN;
    let ms = 0;
    if (length === 24) {
      if (b[start + 19] !== 46 /* . */) return Number.NaN;
      ms = twoDigits(b, start + 20) * 10 + digit(b[start + 22]);
      if (!(ms <= 999)) return Number.NaN;
    }
    return this.midnight + ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms;
  }

  /** Whether the 10 bytes at `start` are the date read last. */
  private sameDate(b: Uint8Array, start: number): boolean {
    const { date } = this;
    for (let i = 0; i < 10; i++) if (b[start + i] !== date[i]) return false;
    return true;
  }
}

/** The digit's value, or NaN (which fails every range check above). */
const digit = (c: number) => (c >= 48 && c <= 57 ? c - 48 : Number.NaN);
const twoDigits = (b: Uint8Array, at: number) => digit(b[at]) * 10 + digit(b[at + 1]);
