{
  "targets": [
    {
      "target_name": "hypergrad_blas",
      "sources": ["src/blas.c"],
      "include_dirs": ["<!(node -p \"require('./openblas.cjs').find().include\")"],
      "libraries": ["-lopenblas"],
      "cflags": ["-O3", "-std=c11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
