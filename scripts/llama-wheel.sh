#!/usr/bin/env bash
# Build llama-cpp-python once per machine and CPU flags, into the model cache's wheel folder, and
# install it into the venv. Why not pip's wheel cache: pip keys a cached build by the source only,
# so a build made with the wrong CPU flags would be reused forever.
#
# CPU flags: native (-march=native: AVX-512 where the CPU has it) but without AMX. Some virtual
# machines report AMX in cpuid while the kernel does not let a process use its tiles: llama.cpp's
# AMX kernels then die on an illegal instruction at the first generation (seen on this project's
# machines: "trap invalid opcode … in libggml-cpu.so").
set -euo pipefail
python=${1:?usage: llama-wheel.sh VENV_PYTHON}
version=$(sed -n 's/.*"llama-cpp-python\[server\]==\([0-9.]*\)".*/\1/p' pyproject.toml)
flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cpu=$(grep -m1 -o -w 'flags.*' /proc/cpuinfo 2>/dev/null | sha256sum | cut -c1-12 || echo unknown)
key=$(printf '%s %s %s' "$version" "$flags" "$cpu" | sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/assistant-stages/wheels/llama-$key
if "$python" -c "import llama_cpp, pathlib, sys; sys.exit(0 if pathlib.Path('$cache/.installed-in').read_text().strip() == sys.prefix else 1)" 2>/dev/null; then
  exit 0
fi
if ! ls "$cache"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $version (native CPU flags without AMX; about 7 minutes on 2 cores, once per machine)"
  rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF" CFLAGS="$flags" CXXFLAGS="$flags" \
    "$python" -m pip wheel --quiet --no-deps --no-cache-dir -w "$cache.tmp" "llama-cpp-python==$version"
  rm -rf "$cache" && mv "$cache.tmp" "$cache"  # all or nothing
fi
"$python" -m pip install --quiet --force-reinstall --no-deps "$cache"/llama_cpp_python-"$version"-*.whl
"$python" -c "import sys; print(sys.prefix)" > "$cache/.installed-in"
