import { resolve } from 'node:path';
import { startDashboard } from '../dashboard/dashboardServer.js';
import { checkInteger } from '../util/validate.js';
import { defineCommand, option } from './defineCommand.js';
import { integerAtLeast, text } from './optionValues.js';

/**
 * `hypergrad dashboard [DIR]`: a live web page over a folder of runs (see `startDashboard`): the
 * runs with their configs; HPO runs with incumbent curves (median and quartiles over seeds, per
 * optimizer), a sortable trial table and parameter-vs-value scatter plots; `run`/`compare` results
 * with their tables and plots; redrawn as runs append records. Serves until interrupted (Ctrl-C).
 */
export const dashboardCommand = defineCommand({
  name: 'dashboard',
  group: 'tools',
  summary: 'a live web page over a folder of runs (configs, HPO curves and trials, comparisons)',
  description: 'Serves a local web page over a folder of runs: each run with its config; HPO runs with incumbent curves (median and ' +
    'quartiles over seeds, per optimizer), a sortable trial table and parameter-vs-value scatter plots; run/compare results with their ' +
    'tables and plots; updated live as runs append records. Reads only files inside DIR; binds 127.0.0.1 unless --host is given.',
  arguments: [{ name: 'dir', description: 'the folder of runs (default runs)' }],
  options: {
    port: option(integerAtLeast(0, 'PORT'), 'the port (0: any free one)', { default: 8377 }),
    host: option(text('ADDRESS'), 'the address to bind; another than 127.0.0.1 opens the runs to the network', { defaultText: '127.0.0.1' }),
  },
  async run({ args, options, io, who }) {
    const dir = args.dir ?? 'runs';
    const port = checkInteger(who, '--port', options.port, { min: 0, max: 65_535 });
    let dashboard;
    try {
      dashboard = await startDashboard({ dir, port, ...(options.host === undefined ? {} : { host: options.host }) });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EADDRINUSE') throw new Error(`${who}: port ${port} is in use; choose another with --port (0: any free one)`);
      throw new Error(((e as Error).message).replace(/^startDashboard: dir/, `${who}: DIR`));
    }
    if (options.host !== undefined && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
      io.err.write(`${who}: bound to ${options.host}: anyone who can reach this address can read the runs\n`);
    }
    io.out.write(`${who}: ${dashboard.url} serving ${resolve(dir)} (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop).on('SIGTERM', stop);
    });
    await dashboard.close();
    return 0;
  },
});
