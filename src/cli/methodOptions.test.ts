import { describe, expect, it } from 'vitest';
import { threeLevelProblem } from '../../problems/threeLevel.js';
import { defaultMethod } from './methodOptions.js';

describe('defaultMethod: the method table\'s defaults with the CLI\'s and the problem\'s', () => {
  it('cg takes the problem\'s damping; other methods ignore it', () => {
    expect(defaultMethod('cg', undefined, undefined, 0.5)).toEqual({ method: 'cg', iterations: 10 });
    expect(defaultMethod('cg', 3, undefined, 0.5, 10)).toEqual({ method: 'cg', iterations: 3, damping: 10 });
    expect(defaultMethod('neumann', undefined, undefined, 0.2, 10)).toEqual({ method: 'neumann', iterations: 20, alpha: 0.2 });
  });

  it('three-level runs cg damped by 10 from the command line, as its run function does by default', () => {
    const d = threeLevelProblem.defaults;
    expect(defaultMethod('cg', undefined, undefined, d.alpha, d.damping)).toMatchObject({ method: 'cg', damping: 10 });
  });
});
