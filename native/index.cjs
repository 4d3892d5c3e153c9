// The addon, built by install.cjs (npm install); throws when it was not built.
module.exports = require('./build/Release/hypergrad_blas.node');
