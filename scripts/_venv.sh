# Sourced by the scripts: make sure .venv exists with the project installed.
VENV="${TRACEPASS_VENV:-$PWD/.venv}"
PY="$VENV/bin/python"
_want="${TRACEPASS_EXTRAS:-test}"
_stamp="$VENV/.tracepass-installed-$_want"
if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV"
fi
if [ ! -f "$_stamp" ] || [ pyproject.toml -nt "$_stamp" ]; then
  "$PY" -m pip install -q --upgrade pip >/dev/null
  if [ "$_want" = "none" ]; then
    "$PY" -m pip install -q -e .
  else
    "$PY" -m pip install -q -e ".[$_want]"
  fi
  touch "$_stamp"
fi
