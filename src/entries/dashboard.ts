/**
 * `hypergrad/dashboard`: the live web page of `hypergrad dashboard`, started from code (a
 * notebook, a script that runs a study). It serves a folder of runs on 127.0.0.1: each run with
 * its config, HPO runs with incumbent curves, a sortable trial table and parameter scatter plots,
 * `run`/`compare` results with their plots, redrawn as records are appended. It reads only files
 * inside the folder.
 * @example
 * ```ts
 * import { startDashboard } from 'hypergrad/dashboard';
 * const dashboard = await startDashboard({ dir: 'runs', port: 8377 });
 * console.log(`open ${dashboard.url}`);
 * // ... later
 * await dashboard.close();
 * ```
 * @packageDocumentation
 * @module hypergrad/dashboard
 */
export { startDashboard, type DashboardOptions, type Dashboard } from '../dashboard/dashboardServer.js';
