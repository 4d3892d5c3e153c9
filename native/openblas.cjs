// Where OpenBLAS's cblas.h is: OPENBLAS_INCLUDE, else Debian's and the usual places.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const CANDIDATES = [
  process.env.OPENBLAS_INCLUDE,
  '/usr/include/x86_64-linux-gnu/openblas-pthread',
  '/usr/include/aarch64-linux-gnu/openblas-pthread',
  '/usr/include/openblas',
  '/usr/local/include/openblas',
  '/opt/homebrew/opt/openblas/include',
  '/usr/include/x86_64-linux-gnu',
  '/usr/include',
].filter(Boolean);

/** {include} where cblas.h and openblas_config.h both are, or null. */
function find() {
  for (const dir of CANDIDATES) {
    if (existsSync(join(dir, 'cblas.h')) && existsSync(join(dir, 'openblas_config.h'))) return { include: dir };
  }
  return null;
}

module.exports = { find, CANDIDATES };
