import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { constant, one, savedAt } from './ruleUtil.js';

/**
 * UnsortedSegmentSum, `out[s] = sum_{i: ids[i] = s} x[i]` along axis 0 (rows with a negative id
 * are dropped): `dx[i] = dy[ids[i]]` (0 for a negative id), a GatherV2 of `dy` masked by a
 * Select. Both have rules of their own, so this one is differentiable to any order. The ids
 * receive zeros.
 */
export const unsortedSegmentSumRule: Rule = {
  kernelName: 'UnsortedSegmentSum',
  inputsToSave: ['segmentIds'],
  gradFunc: (dy, saved) => {
    const ids = savedAt(saved, 0, 'UnsortedSegmentSum');
    return {
      x: () => {
        const g = one(dy);
        const clipped = constant(() => tf.maximum(tf.cast(ids, 'int32'), tf.scalar(0, 'int32')));
        const gathered = tf.gather(g, clipped, 0);
        const keep = constant(() => {
          const k = tf.greaterEqual(tf.cast(ids, 'int32'), tf.scalar(0, 'int32'));
          return tf.logicalAnd(tf.reshape(k, [ids.size, ...Array.from({ length: gathered.rank - 1 }, () => 1)]), tf.ones(gathered.shape, 'bool'));
        });
        return tf.where(keep, gathered, constant(() => tf.zeros(gathered.shape)));
      },
      segmentIds: () => tf.zeros(ids.shape),
    };
  },
};

/** The segment-reduction rules. */
export const segmentRules: Rule[] = [unsortedSegmentSumRule];
