/*
 * hypergrad's native matMul for tfjs's wasm backend: OpenBLAS's sgemm on tensors where they lie,
 * in the wasm heap. JavaScript passes the heap (a Float32Array over the wasm memory) and one
 * Int32Array of parameters, so a call converts two arguments and copies nothing.
 *
 * gemm(heap, p, alpha): for each batch entry i < p[0],
 *   C_i = act(op(A_i) op(B_i) + bias),  op = transpose when p[4] (A) / p[5] (B) is 1,
 * with A_i at heap[p[6] + i p[7]], B_i at heap[p[8] + i p[9]], C_i at heap[p[10] + i M N],
 * M = p[1], N = p[2], K = p[3], row-major; bias at heap[p[11]] (p[11] < 0: none) of length p[12]
 * (N or 1); act = p[13]: 0 linear, 1 relu, 2 relu6, 3 leaky relu (slope alpha), 4 sigmoid, 5 elu.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>
#include <cblas.h>

/* OpenBLAS's own entry points (declared by its cblas.h; repeated for other cblas.h files). */
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

#define N_PARAMS 14

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  bool is;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok) return 0;
  return type == want && *data != NULL;
}

static void activate(float *c, size_t n, int act, float alpha) {
  size_t j;
  switch (act) {
    case 1: for (j = 0; j < n; j++) c[j] = c[j] > 0.f ? c[j] : 0.f; break;
    case 2: for (j = 0; j < n; j++) c[j] = c[j] > 0.f ? (c[j] < 6.f ? c[j] : 6.f) : 0.f; break;
    case 3: for (j = 0; j < n; j++) c[j] = c[j] > 0.f ? c[j] : alpha * c[j]; break;
    case 4: for (j = 0; j < n; j++) c[j] = 1.f / (1.f + expf(-c[j])); break;
    case 5: for (j = 0; j < n; j++) c[j] = c[j] > 0.f ? c[j] : expm1f(c[j]); break;
    default: break;
  }
}

static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 3, heap_len, p_len;
  napi_value argv[3];
  float *heap;
  int32_t *p;
  double alpha = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return fail(env, "gemm(heap, params, alpha)");
  if (!typed_array(env, argv[0], napi_float32_array, (void **)&heap, &heap_len)) return fail(env, "gemm: heap must be a Float32Array");
  if (!typed_array(env, argv[1], napi_int32_array, (void **)&p, &p_len) || p_len < N_PARAMS) return fail(env, "gemm: params must be an Int32Array of 14");
  if (argc > 2) napi_get_value_double(env, argv[2], &alpha);
  const int batch = p[0], M = p[1], N = p[2], K = p[3], ta = p[4], tb = p[5], act = p[13];
  const int64_t a0 = p[6], as = p[7], b0 = p[8], bs = p[9], c0 = p[10], bias0 = p[11], bias_len = p[12];
  const int64_t mn = (int64_t)M * N;
  if (batch < 0 || M < 0 || N < 0 || K < 0 || a0 < 0 || b0 < 0 || c0 < 0 ||
      a0 + (int64_t)(batch - 1) * as + (int64_t)M * K > (int64_t)heap_len ||
      b0 + (int64_t)(batch - 1) * bs + (int64_t)K * N > (int64_t)heap_len ||
      c0 + (int64_t)batch * mn > (int64_t)heap_len ||
      (bias0 >= 0 && (bias0 + bias_len > (int64_t)heap_len || (bias_len != N && bias_len != 1))))
    return fail(env, "gemm: operands outside the heap");
  for (int i = 0; i < batch; i++) {
    const float *a = heap + a0 + (int64_t)i * as, *b = heap + b0 + (int64_t)i * bs;
    float *c = heap + c0 + (int64_t)i * mn;
    float beta = 0.f;
    if (bias0 >= 0) {
      const float *bias = heap + bias0;
      for (int r = 0; r < M; r++)
        for (int j = 0; j < N; j++) c[(int64_t)r * N + j] = bias[bias_len == 1 ? 0 : j];
      beta = 1.f;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f, a,
                ta ? M : K, b, tb ? K : N, beta, c, N);
    activate(c, (size_t)mn, act, (float)alpha);
  }
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) return fail(env, "setThreads(n), n >= 1");
  openblas_set_num_threads(n);
  return NULL;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

static napi_value get_config(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
    {"threads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
    {"config", NULL, get_config, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
