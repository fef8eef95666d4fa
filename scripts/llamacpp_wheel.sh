#!/usr/bin/env bash
# Build (once) and cache the llama-cpp-python wheel used by the real-engine tests, then install it
# with its server extras and `gguf` into the current Python environment.
#
#   scripts/llamacpp_wheel.sh            # uses `python` on PATH (activate the venv first)
#   PYTHON=/path/to/venv/bin/python scripts/llamacpp_wheel.sh
#
# The wheel is cached in ${TYPEHOLE_CACHE:-$HOME/.cache/typehole}/wheels; keep that folder between CI
# runs and the build (minutes on 2 cores) happens only when the pinned version changes. The build is
# CPU-only and not tuned to the build machine (GGML_NATIVE=OFF) so a cached wheel runs on any x86-64
# or arm64 runner that restores it.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
GGUF_VERSION="${GGUF_VERSION:-0.19.0}"
PY="${PYTHON:-python}"
CACHE_DIR="${TYPEHOLE_CACHE:-$HOME/.cache/typehole}"
WHEEL_DIR="${CACHE_DIR}/wheels"
mkdir -p "$WHEEL_DIR"

# The wheel is `py3-none-<platform>` (ctypes bindings), so one build serves every Python version;
# the platform tag in its name keeps x86-64 and arm64 builds apart in a shared cache.
plat="$("$PY" -c 'import sysconfig; print(sysconfig.get_platform().replace("-", "_").replace(".", "_"))')"
find_wheel() {
    ls "$WHEEL_DIR"/llama_cpp_python-"$LLAMA_CPP_PYTHON_VERSION"-*"$plat"*.whl 2>/dev/null | head -n1 || true
}

wheel="$(find_wheel)"
if [[ -z "$wheel" ]]; then
    echo "llamacpp_wheel: building llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION (cached in $WHEEL_DIR)" >&2
    start=$(date +%s)
    # Serialise concurrent builds (several CI jobs sharing one cache).
    exec 9>"$WHEEL_DIR/.build.lock"
    flock 9
    wheel="$(find_wheel)"
    if [[ -z "$wheel" ]]; then
        export CMAKE_ARGS="${CMAKE_ARGS:-} -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_BLAS=OFF -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_OPENMP=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF"
        export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python -w "$tmp" \
            "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION"
        mv "$tmp"/llama_cpp_python-*.whl "$WHEEL_DIR"/
        wheel="$(find_wheel)"
    fi
    flock -u 9
    echo "llamacpp_wheel: built in $(( $(date +%s) - start )) s: $wheel" >&2
else
    echo "llamacpp_wheel: using cached $wheel" >&2
fi

"$PY" -m pip install "${wheel}[server]" "gguf==$GGUF_VERSION"
"$PY" -c 'import llama_cpp, gguf; print("llama_cpp", llama_cpp.__version__)'

# Optionally also the native llama.cpp server (`llama-server`: /completion, /infill, /tokenize)
# from the llama.cpp sources vendored in the same pinned sdist, statically linked and cached as
# $TYPEHOLE_CACHE/bin/llama-server-<version>. The native-backend tests use it when present.
if [[ "${TYPEHOLE_LLAMA_SERVER:-1}" == "1" ]]; then
    server_bin="$CACHE_DIR/bin/llama-server-$LLAMA_CPP_PYTHON_VERSION-$plat"
    if [[ ! -x "$server_bin" ]]; then
        mkdir -p "$CACHE_DIR/bin"
        exec 8>"$CACHE_DIR/bin/.build.lock"
        flock 8
        if [[ ! -x "$server_bin" ]]; then
            echo "llamacpp_wheel: building llama-server from llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION sources" >&2
            start=$(date +%s)
            src="$(mktemp -d)"
            "$PY" -m pip download --no-deps --no-binary :all: -d "$src" \
                "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" >&2
            tar -xzf "$src"/llama_cpp_python-*.tar.gz -C "$src"
            llama_src="$(echo "$src"/llama_cpp_python-*/vendor/llama.cpp)"
            generator=()
            command -v ninja >/dev/null && generator=(-G Ninja)
            cmake -S "$llama_src" -B "$src/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
                -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DGGML_BLAS=OFF \
                -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
                -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON >&2
            cmake --build "$src/build" --target llama-server \
                -j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}" >&2
            cp "$src/build/bin/llama-server" "$server_bin.tmp"
            mv "$server_bin.tmp" "$server_bin"
            rm -rf "$src"
            echo "llamacpp_wheel: llama-server built in $(( $(date +%s) - start )) s: $server_bin" >&2
        fi
        flock -u 8
    fi
    echo "llamacpp_wheel: llama-server at $server_bin" >&2
fi
