#!/usr/bin/env bash
# `npm run notebooks`: builds notebooks/*.ipynb from notebooks/src/*.ts and executes them in
# place through the installed kernel with Debian's nbconvert/nbclient, so the committed
# notebooks are exactly what that execution produced. Figures are saved as plotly JSON, HTML
# and a static PNG; none carries plotly.js (src/display/reprs/plotly.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
node dist/src/cli/main.js build-notebooks "$@"
jp=$(mktemp -d)
node -e 'require("./dist/src/cli/install-command").writeKernelSpec(process.argv[1] + "/kernels/tfjs-lab")' "$jp"
files=${*:+$(for s in "$@"; do echo "notebooks/$(basename "${s%.ts}").ipynb"; done)}
for nb in ${files:-notebooks/*.ipynb}; do
  echo "executing $nb"
  JUPYTER_PATH="$jp" /usr/bin/python3 -m jupyter nbconvert --to notebook --execute --inplace \
    --ExecutePreprocessor.kernel_name=tfjs-lab --ExecutePreprocessor.timeout=600 "$nb"
done
rm -rf "$jp"
