#!/usr/bin/env bash
# `npm test`: makes sure the system packages the tests drive are here (installing them with
# apt-get when run as root, otherwise stopping with the exact command), builds, and runs
# every test with node's built-in runner. No test is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Jupyter lives on /usr/bin/python3, not on whatever python3 is first on PATH.
PY=/usr/bin/python3
# python3-jupyterlab-server and python3-jupyter-server serve the JupyterLab 4 page test/lab builds.
PACKAGES="jupyter-client jupyter-nbconvert python3-nbclient python3-jupyter-kernel-test jupyter-notebook python3-jupyterlab-server python3-jupyter-server chromium libvulkan1"
missing() {
  [ -x "$PY" ] || { echo "python3"; return; }
  "$PY" -c "import jupyter_client, nbclient, nbconvert, jupyter_kernel_test, notebook" 2>/dev/null || echo "jupyter"
  "$PY" -c "import jupyter_server, jupyterlab_server" 2>/dev/null || echo "jupyterlab-server"
  [ -x /usr/bin/chromium ] || echo "chromium"
  # Dawn (the WebGPU tests, on Chromium's SwiftShader) loads the system Vulkan loader.
  ldconfig -p 2>/dev/null | grep -q "libvulkan.so.1" || echo "libvulkan1"
}
if [ -n "$(missing)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "npm test: installing system packages: $PACKAGES"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq $PACKAGES >/dev/null
  else
    echo "npm test: these system packages are needed: $(missing | tr '\n' ' ')" >&2
    echo "Install them with:  sudo apt-get update && sudo apt-get install -y $PACKAGES" >&2
    exit 1
  fi
fi

npm run build --silent
# Files run one at a time: the machine has 2 cores and the kernel tests start real kernels.
# A file that has not finished in 15 minutes fails (a handle left open must not hang CI).
exec node --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec ${TEST_FILES:-$(find dist/test -name '*.test.js' | sort)}
