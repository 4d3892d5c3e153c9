import { describe, expect, it } from 'vitest';
import {
  checkAtLeast, checkFunction, checkInteger, checkNumber, checkOneOf, checkPositive, checkPositiveInteger, checkSeed, parseNumberFlag, rangeText,
} from './validate.js';

describe('validate', () => {
  it('writes ranges in interval notation', () => {
    expect(rangeText({ min: 0, max: 1, maxExclusive: true })).toBe('[0, 1)');
    expect(rangeText({ min: 0, minExclusive: true })).toBe('(0, inf)');
    expect(rangeText({})).toBe('(-inf, inf)');
  });

  it('names who, the argument, the accepted range and the value', () => {
    expect(checkNumber('sgd', 'momentum', 0.5, { min: 0, max: 1, maxExclusive: true })).toBe(0.5);
    expect(() => checkNumber('sgd', 'momentum', 1, { min: 0, max: 1, maxExclusive: true })).toThrow(/^sgd: momentum must be a number in \[0, 1\), got 1$/);
    expect(() => checkNumber('f', 'x', NaN)).toThrow(/x must be a number in \(-inf, inf\), got NaN/);
    expect(() => checkNumber('f', 'x', '3')).toThrow(/got '3'/);
    expect(() => checkPositive('f', 'alpha', 0)).toThrow(/f: alpha must be a positive number, got 0/);
    expect(() => checkAtLeast('f', 'imbalance', 0.5, 1)).toThrow(/imbalance must be a number >= 1, got 0.5/);
    expect(() => checkInteger('simulate', 'nWorkers', 1.5, { min: 1 })).toThrow(/simulate: nWorkers must be an integer >= 1, got 1\.5/);
    expect(() => checkInteger('lcbench', 'epoch', 60, { min: 1, max: 52 })).toThrow(/epoch must be an integer in \[1, 52\], got 60/);
    expect(() => checkPositiveInteger('f', 'iterations', -2)).toThrow(/iterations must be a positive integer, got -2/);
    expect(() => checkInteger('f', 'n', 2 ** 60, { min: 0 })).toThrow(/an integer >= 0/);
  });

  it('refuses seeds that would wrap modulo 2^32', () => {
    expect(checkSeed('f', 'seed', 0)).toBe(0);
    expect(checkSeed('f', 'seed', 2 ** 32 - 1)).toBe(2 ** 32 - 1);
    expect(() => checkSeed('f', 'seed', 2 ** 32)).toThrow(/seed must be an integer in \[0, 4294967296\), got 4294967296/);
    expect(() => checkSeed('f', 'seed', 1e300)).toThrow(/got 1e\+300/);
    expect(() => checkSeed('f', 'seed', -1)).toThrow(/got -1/);
  });

  it('checks choices and functions', () => {
    expect(checkOneOf('f', 'format', 'fp16', ['fp32', 'fp16', 'bf16'] as const)).toBe('fp16');
    expect(() => checkOneOf('f', 'format', 'fp8', ['fp32', 'fp16'])).toThrow(/format must be one of 'fp32', 'fp16', got 'fp8'/);
    expect(() => checkFunction('f', 'fn', 3, 'a function (ctx, v) => Tree[]')).toThrow(/fn must be a function \(ctx, v\) => Tree\[\], got 3/);
  });

  it('parses command-line numbers strictly', () => {
    expect(parseNumberFlag('--workers', '4', { min: 1 }, true)).toBe(4);
    expect(parseNumberFlag('--lr', '1e-3', { min: 0, minExclusive: true })).toBe(0.001);
    for (const bad of ['', ' ', 'abc', '1.5', 'Infinity', '0']) {
      expect(() => parseNumberFlag('--workers', bad, { min: 1 }, true)).toThrow(/--workers must be an integer in \[1, inf\)/);
    }
  });
});
