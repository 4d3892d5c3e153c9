#!/usr/bin/env bash
# Verifies hypergrad's webgpu backend on a GPU machine, within 5 minutes, installing only from the
# npm registry (Dawn ships prebuilt inside the `webgpu` package):
#   1. which adapter Dawn finds (a real GPU through Vulkan/Metal/D3D12, else llvmpipe: then it says so),
#   2. the webgpu suite: every kernel rule's value, gradient and HVP against wasm, HVPs, the ridge
#      and 3-level hypergradients (npm run test:webgpu),
#   3. the bench lines: MLP 784-256-10 step and HVP, a 4096-wide step, the main job's outer step,
#      each against wasm in the same process (npm run bench -- webgpu).
# Output goes to stdout and to $OUT/gpu-<time>.log (OUT defaults to bench/gpu-results/).
# Needs Node >= 20; on Linux the Vulkan loader (libvulkan.so.1) for a real GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out_dir="${OUT:-bench/gpu-results}"
mkdir -p "$out_dir"
log="$out_dir/gpu-$(date -u +%Y%m%dT%H%M%SZ).log"
exec > >(tee "$log") 2>&1
start=$SECONDS
step() { echo; echo "== $1 ($((SECONDS - start)) s)"; }

step "machine"
node --version
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if [ "$(uname)" = Linux ] && ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  echo "warning: no libvulkan.so.1 (Debian/Ubuntu: libvulkan1): Dawn cannot reach the GPU through Vulkan and will try OpenGL ES"
fi

step "install (npm registry only)"
if [ ! -d node_modules/webgpu ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  timeout 150 npm ci --no-audit --no-fund || { echo "npm ci failed"; exit 1; }
fi
timeout 60 npx tsc -p tsconfig.json || { echo "build failed"; exit 1; }

step "adapter"
timeout 60 node --input-type=module -e "
  const { initBackend, describeBackend, webgpuInfo } = await import('./dist/src/index.js');
  await initBackend('webgpu');
  const info = webgpuInfo();
  console.log(describeBackend(), '| route', info.route, '|', info.description);
  if (info.software) { console.log('no hardware adapter: the figures below are llvmpipe, not the GPU'); process.exitCode = 3; }
"
adapter_rc=$?

step "webgpu suite (npm run test:webgpu)"
timeout 150 npx vitest run --config vitest.webgpu.config.ts --reporter=dot
suite_rc=$?

step "bench (npm run bench -- webgpu)"
timeout 120 node dist/bench/run.js webgpu | tee "$out_dir/bench-webgpu.jsonl"
bench_rc=${PIPESTATUS[0]}

step "done"
echo "adapter rc=$adapter_rc suite rc=$suite_rc bench rc=$bench_rc; log: $log"
[ "$adapter_rc" = 0 ] && [ "$suite_rc" = 0 ] && [ "$bench_rc" = 0 ]
