/** The page: picks a backend, runs the demo, and charts the validation loss as it trains. */
import { CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Title } from 'chart.js';
import * as tf from '@tensorflow/tfjs-core';
import { train, valid } from 'virtual:demo-digits';
import { chooseBackend } from './backend.js';
import { runCleaningDemo } from './cleaningDemo.js';
import { unpackDigits } from './digits.js';

/** What the page publishes for its end-to-end test (and for anyone curious, in the console). */
export interface DemoState {
  backend?: string;
  skipped?: string[];
  initialLoss?: number;
  validationLoss: number[];
  precision?: number;
  secondsPerOuterStep?: number;
  done: boolean;
  error?: string;
}

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Title);
const state: DemoState = { validationLoss: [], done: false };
(window as unknown as { demo: DemoState }).demo = state;
const status = document.getElementById('status') as HTMLElement;
const params = new URLSearchParams(location.search);
const outerSteps = Number(params.get('steps') ?? 12);

const chart = new Chart<'line', number[], number>(document.getElementById('chart') as HTMLCanvasElement, {
  type: 'line',
  data: {
    labels: [0],
    datasets: [
      { label: 'validation cross-entropy (tuned weights)', data: [], borderColor: '#1f77b4', backgroundColor: '#1f77b4', tension: 0.2 },
      { label: 'untrained classifier (ln 10)', data: [], borderColor: '#999', borderDash: [6, 4], pointRadius: 0 },
    ],
  },
  options: {
    animation: false,
    maintainAspectRatio: false,
    scales: { x: { title: { display: true, text: 'outer step' } }, y: { title: { display: true, text: 'cross-entropy' } } },
  },
});

async function main(): Promise<void> {
  const { name, skipped } = await chooseBackend(params.get('backend') ?? undefined);
  Object.assign(state, { backend: name, skipped });
  status.textContent = `backend ${name}${skipped.length > 0 ? ` (not available: ${skipped.join('; ')})` : ''}: training...`;
  const result = await runCleaningDemo(unpackDigits(train), unpackDigits(valid), {
    outerSteps,
    onStep: (step, loss) => {
      state.validationLoss.push(loss);
      chart.data.labels?.push(step);
      chart.data.datasets[0]?.data.push(loss);
      chart.update();
      status.textContent = `backend ${name}: outer step ${step}/${outerSteps}, validation cross-entropy ${loss.toFixed(4)}`;
    },
  });
  chart.data.datasets[0]?.data.unshift(result.initialLoss);
  chart.data.datasets[1]!.data = (chart.data.labels ?? []).map(() => result.initialLoss);
  chart.update();
  Object.assign(state, { initialLoss: result.initialLoss, precision: result.precision, secondsPerOuterStep: result.secondsPerOuterStep, done: true });
  status.textContent =
    `backend ${name}: ${outerSteps} outer steps, validation cross-entropy ${result.initialLoss.toFixed(3)} -> ` +
    `${result.validationLoss.at(-1)?.toFixed(3)}; ${(100 * result.precision).toFixed(0)}% of the down-weighted labels are corrupted; ` +
    `${result.secondsPerOuterStep.toFixed(2)} s per outer step; ${tf.memory().numTensors} tensors live`;
}

main().catch((e: unknown) => {
  state.error = (e as Error).stack ?? String(e);
  state.done = true;
  status.textContent = `error: ${(e as Error).message}`;
});
