#!/usr/bin/env bash
# Sets up everything the hub and its tests need on a fresh machine, and nothing twice:
# Debian tools for interop tests (as root), a virtualenv with the project and its test
# dependencies, and the generated protobuf/gRPC code.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

say() { printf '[bootstrap] %s\n' "$*" >&2; }

# net-snmp's command-line tools are the independent SNMP peer in the tests.
if ! command -v snmpget >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian package 'snmp' (net-snmp tools) for the interop tests"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq snmp >/dev/null
  else
    say "net-snmp tools missing and not root: SNMP interop tests will be skipped"
  fi
fi

# The console's browser tests (tests/console) drive Debian's headless chromium through its own
# chromium-driver (same version, no download); fonts-wqy-microhei renders the Chinese pages.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
    || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages chromium, chromium-driver, fonts-wqy-microhei for the console tests"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null
  else
    say "chromium/chromium-driver missing and not root: the console's browser tests will be skipped"
  fi
fi

# buf lints the proto contract and checks it for breaking changes (tests/kernel/test_proto_contract.py);
# its npm package ships the binary.
BUF_VERSION=1.75.0
if [ ! -x .tools/node_modules/.bin/buf ] || [ "$(.tools/node_modules/.bin/buf --version 2>/dev/null)" != "$BUF_VERSION" ]; then
  if command -v npm >/dev/null 2>&1; then
    say "installing buf $BUF_VERSION from npm into .tools"
    npm install --prefix .tools --no-audit --no-fund --silent "@bufbuild/buf@$BUF_VERSION" >/dev/null
  else
    say "npm missing: the proto contract test (buf) will fail; install Node.js and npm"
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.campus-hub-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing campus-hub and its dependencies into $VENV (first run takes a minute)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    --config-settings editable_mode=compat -e '.[test]'
  touch "$stamp"
fi

need_gen=0
for proto in proto/campushub/v1/*.proto; do
  name=$(basename "$proto" .proto)
  if [ ! -f "campushub/v1/${name}_pb2.py" ] || [ "$proto" -nt "campushub/v1/${name}_pb2.py" ]; then
    need_gen=1
  fi
done
if [ "$need_gen" = 1 ]; then
  "$VENV/bin/python" scripts/gen_proto.py
fi
