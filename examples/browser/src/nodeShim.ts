/**
 * What the page gets for Node's built-in modules: hypergrad's Node-only parts (files, workers, the
 * CLI) are imported by its entry module but never called in the page. Each function throws if it is.
 */
const unavailable = (name: string) => (): never => {
  throw new Error(`${name} is not available in a browser`);
};

export const appendFileSync = unavailable('fs.appendFileSync');
export const existsSync = (): boolean => false;
export const mkdirSync = unavailable('fs.mkdirSync');
export const readFileSync = unavailable('fs.readFileSync');
export const readdirSync = (): string[] => [];
export const renameSync = unavailable('fs.renameSync');
export const rmdirSync = unavailable('fs.rmdirSync');
export const unlinkSync = unavailable('fs.unlinkSync');
export const writeFileSync = unavailable('fs.writeFileSync');
export const createRequire = () => unavailable('require');
export const dirname = (p: string): string => p.replace(/\/[^/]*$/, '');
export const join = (...parts: string[]): string => parts.join('/');
export const fileURLToPath = (u: string | URL): string => String(u);
export const pathToFileURL = (p: string): URL => new URL(p, 'file:///');
export class Worker {
  constructor() {
    unavailable('worker_threads.Worker')();
  }
}
export const workerData = undefined;
export default {};
