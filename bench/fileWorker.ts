/** A bench worker thread: random points on MFBranin through the file-backed simulator until it finishes. */
import { workerData } from 'node:worker_threads';
import { SimulationFinished, connectFileSimulator, mfBranin } from '../src/simulator/index.js';
import { seededRandom } from '../src/util/random.js';

const { dir, w } = workerData as { dir: string; w: number };
const bench = mfBranin();
const worker = connectFileSimulator(dir, bench.objective);
const r = seededRandom(w);
try {
  for (;;) await worker.evaluate({ x0: r(), x1: r() }, 100);
} catch (e) {
  if (!(e instanceof SimulationFinished)) throw e;
}
