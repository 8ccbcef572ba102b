#!/usr/bin/env bash
# Idempotent installer of the mmhpse stack (called by `make install`).
#
#   venv     : $MMHPSE_VENV   (default: <repo>/.venv)
#   cache    : $MMHPSE_CACHE  (default: ~/.cache/mmhpse) -- wheels that are slow to build (mmcv 2.1.0
#              with CPU ops: 10-12 min on 2 cores; xtcocotools) live here, outside the clone, and are
#              reused by every later install.
#   python   : $PYTHON        (default: python3.11)
#
# A second run with everything in place only checks a stamp and the imports (a few seconds).
# GPU users: see README "Install on a GPU machine" (a CUDA mmcv wheel replaces the CPU build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMHPSE_VENV:-$ROOT/.venv}"
CACHE="${MMHPSE_CACHE:-$HOME/.cache/mmhpse}"
PYTHON="${PYTHON:-python3.11}"
WHEELS="$CACHE/wheels"
TORCH_PINS="torch==2.14.1 torchvision==0.29.1"
MMCV_VERSION=2.1.0
XTCOCO_VERSION=1.14.3
MMPOSE_VERSION=1.3.2
PYRENDER_VERSION=0.1.45

log() { printf '[install %(%H:%M:%S)T] %s\n' -1 "$*"; }

# The stamp covers everything that decides what is installed.
stamp_src() {
  cat "$ROOT/tools/install.sh" "$ROOT/setup.py" "$ROOT"/requirements/*.txt
  echo "$VENV $PYTHON"
}
STAMP_WANT="$(stamp_src | sha256sum | cut -c1-16)"
STAMP_FILE="$VENV/.mmhpse-install-stamp"

check_imports() {
  "$VENV/bin/python" - <<'PY'
import importlib, sys
import torch, torchvision, mmcv, mmcv.ops, mmengine, mmpretrain, mmpose, mmdet, smplx, xtcocotools.coco
assert torch.__version__.startswith('2.14.1'), torch.__version__
assert mmcv.__version__ == '2.1.0', mmcv.__version__
import mmhpse  # editable install of this clone
import os
want = os.path.realpath(os.environ['MMHPSE_ROOT'])
got = os.path.realpath(os.path.dirname(os.path.dirname(mmhpse.__file__)))
assert got == want, f'mmhpse imports from {got}, expected {want}'
PY
}

export MMHPSE_ROOT="$ROOT"
if [[ -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$STAMP_WANT" ]] && check_imports 2>/dev/null; then
  log "stack already installed in $VENV (stamp $STAMP_WANT); nothing to do"
  exit 0
fi

START=$(date +%s)
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
mkdir -p "$WHEELS"

log "build requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements/build.txt"

if ! "$PY" -c "import torch, torchvision; assert torch.__version__.startswith('2.14.1') and torchvision.__version__.startswith('0.29.1')" 2>/dev/null; then
  log "torch: $TORCH_PINS"
  "${PIP[@]}" install -q $TORCH_PINS
fi
# numpy is pinned before anything compiles against it.
"${PIP[@]}" install -q "$(grep -E '^numpy==' "$ROOT/requirements/runtime.txt")"

# --- mmcv 2.1.0 with CPU ops, built once from the sdist and cached -----------------------------
# (importing mmcv needs mmengine, installed below; the import of mmcv.ops is checked at the end)
mmcv_ok() { "$PY" -c "from importlib.metadata import version; assert version('mmcv') == '$MMCV_VERSION'" 2>/dev/null; }
if ! mmcv_ok; then
  MMCV_WHL=$(ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -n1 || true)
  if [[ -z "$MMCV_WHL" ]]; then
    log "building mmcv $MMCV_VERSION with CPU ops (once; about 10-12 min on 2 cores) into $WHEELS"
    BUILD=$(mktemp -d)
    ( cd "$BUILD"
      "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d .
      tar xzf mmcv-$MMCV_VERSION.tar.gz
      cd mmcv-$MMCV_VERSION
      # torch 2.14 headers need C++20; mmcv's flag comes last on the compile line so CFLAGS cannot win.
      sed -i 's/-std=c++17/-std=c++20/g' setup.py
      grep -q -- '-std=c++20' setup.py
      MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "${PIP[@]}" wheel -q --no-deps --no-build-isolation . -w "$BUILD/out"
    )
    cp "$BUILD"/out/mmcv-$MMCV_VERSION-*.whl "$WHEELS/"
    rm -rf "$BUILD"
    MMCV_WHL=$(ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl | head -n1)
  fi
  log "installing cached $MMCV_WHL"
  "${PIP[@]}" install -q --no-deps "$MMCV_WHL"
fi

# --- xtcocotools from source (its binary wheel is built against numpy 1.x) ----------------------
if ! "$PY" -c "from importlib.metadata import version; assert version('xtcocotools') == '$XTCOCO_VERSION'" 2>/dev/null; then
  XT_WHL=$(ls "$WHEELS"/xtcocotools-$XTCOCO_VERSION-*.whl 2>/dev/null | head -n1 || true)
  if [[ -z "$XT_WHL" ]]; then
    log "building xtcocotools $XTCOCO_VERSION from source"
    "${PIP[@]}" wheel -q --no-deps --no-build-isolation --no-binary xtcocotools \
      "xtcocotools==$XTCOCO_VERSION" -w "$WHEELS"
    XT_WHL=$(ls "$WHEELS"/xtcocotools-$XTCOCO_VERSION-*.whl | head -n1)
  fi
  "${PIP[@]}" install -q --no-deps "$XT_WHL"
fi

log "runtime requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" $TORCH_PINS "mmcv==$MMCV_VERSION"
"${PIP[@]}" install -q --no-deps "mmpose==$MMPOSE_VERSION" "pyrender==$PYRENDER_VERSION"

# --- OSMesa for off-screen rendering of the procedural dataset (pyrender) -----------------------
if ! ldconfig -p 2>/dev/null | grep -q libOSMesa; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "apt: libosmesa6 (off-screen rendering)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libosmesa6 >/dev/null
  else
    log "WARNING: libOSMesa not found and not root: install libosmesa6 for procedural rendering"
  fi
fi

log "mmhpse (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

check_imports
stamp_src | sha256sum | cut -c1-16 >"$STAMP_FILE"
log "done in $(( $(date +%s) - START )) s; venv size $(du -sh "$VENV" | cut -f1)"
