/*
 * A small deterministic random generator for tests that must replay: the same seed gives the same sequence on every
 * machine and Node version (Math.random cannot be seeded). xorshift128 (Marsaglia, 2003) on 32-bit words, seeded
 * from a string through FNV-1a.
 */

/** FNV-1a of `text`, mixed with `salt`: a 32-bit word. */
function hash32(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class SeededRandom {
  private x: number;
  private y: number;
  private z: number;
  private w: number;

  /** A generator for `seed`; `stream` gives independent sequences of one seed (one per worker...). */
  constructor(
    readonly seed: string,
    stream = '',
  ) {
    const key = `${seed}/${stream}`;
    this.x = hash32(key, 1) || 1;
    this.y = hash32(key, 2) || 2;
    this.z = hash32(key, 3) || 3;
    this.w = hash32(key, 4) || 4;
    // The first words still resemble the hash: throw them away.
    for (let i = 0; i < 16; i++) this.next32();
  }

  /** A new seed, for runs that were given none: printed, so that the run can be replayed. */
  static freshSeed(): string {
    return Math.floor(Math.random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
  }

  private next32(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }

  /** A number in [0, 1). */
  next(): number {
    return this.next32() / 0x100000000;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError('pick() from an empty list');
    return list[this.int(0, list.length - 1)] as T;
  }

  /** The list in a random order (a copy). */
  shuffle<T>(list: readonly T[]): T[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}
