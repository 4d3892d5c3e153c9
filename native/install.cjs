// npm's install script for hypergrad-native: builds the addon with node-gyp against OpenBLAS,
// offline (Node's own headers), or prints one line and succeeds when it cannot.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { find, CANDIDATES } = require('./openblas.cjs');

function skip(why) {
  console.log(`hypergrad-native: ${why}; native matMul skipped (hypergrad runs on tfjs's wasm kernels)`);
  process.exit(0);
}

if (process.env.HYPERGRAD_NATIVE === '0') skip('HYPERGRAD_NATIVE=0');
if (find() === null) skip(`no OpenBLAS headers (cblas.h with openblas_config.h) in ${CANDIDATES.join(', ')}; install libopenblas-dev`);

// Node's headers: the ones installed with this node (Debian's nodejs, the official tarballs), so
// node-gyp never downloads them.
const nodeDir = dirname(dirname(process.execPath));
if (!existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) skip(`no Node headers in ${join(nodeDir, 'include', 'node')}`);

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const bundled = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return bundled;
  return null;
}
const gyp = nodeGyp();
if (gyp === null) skip('node-gyp not found (it comes with npm)');
try {
  execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodeDir}`, '--loglevel=error'], { cwd: __dirname, stdio: ['ignore', 'ignore', 'pipe'] });
} catch (e) {
  const last = String(e.stderr ?? e.message).trim().split('\n').filter((l) => /error/i.test(l)).slice(-1)[0] ?? 'see node-gyp';
  skip(`the build failed (${last.trim()})`);
}
console.log(`hypergrad-native: built with OpenBLAS (${find().include})`);
