/** Deterministic pseudo-randomness: the same (seed, key, step) always gives the same number. */

import { fnv1a } from '@shared/domain/partition';

/** 32-bit FNV-1a hash of a string (the one partitions use too). */
export const hashString = fnv1a;

/** A uniform number in [0, 1) for integer inputs (a 32-bit integer mix, splitmix-style). */
export function unit(a: number, b: number, c = 0): number {
  let x = (a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

/** Approximately normal (Irwin–Hall of 4), mean 0, standard deviation ~1. */
export function gauss(a: number, b: number): number {
  return (unit(a, b, 1) + unit(a, b, 2) + unit(a, b, 3) + unit(a, b, 4) - 2) * Math.sqrt(3);
}

/** mulberry32: a seeded sequence, for generators that draw many numbers in order. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
