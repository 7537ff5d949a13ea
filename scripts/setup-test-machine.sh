#!/usr/bin/env bash
# Makes this machine ready for the test suite; `npm test` (pretest) and .ci/run both call it.
# Idempotent and quick when everything is there: it installs the npm packages when they are missing,
# starts PostgreSQL, MariaDB and Redis on 127.0.0.1 when they are down, and installs Debian's
# Chromium (the panel's browser tests) and PHP with the Laravel Talkto peer's packages when missing.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/jest ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund || exit 1
fi

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do up "$port" && return 0; sleep 1; done
  echo "setup: $name did not come up on port $port" >&2
  return 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

if ! up 5432; then
  echo "setup: starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! up 3306; then
  echo "setup: starting MariaDB"
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
if ! up 6379; then
  echo "setup: starting Redis"
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for 5432 PostgreSQL && wait_for 3306 MariaDB && wait_for 6379 Redis || exit 1

# Debian packages some suites need, with at most one `apt-get update` for all of them.
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || as_root apt-get update || return 1
  apt_updated=1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

# The live interop suite runs the PHP peer of ../shared/php-peer (its README lists these packages).
if ! command -v php >/dev/null || [ ! -f /usr/share/php/Illuminate/Database/autoload.php ]; then
  echo "setup: installing PHP and the Illuminate packages for the Laravel Talkto peer"
  apt_install --no-install-recommends php-cli php-sqlite3 php-mbstring php-curl \
    php-illuminate-container php-illuminate-config php-illuminate-database php-illuminate-http \
    php-illuminate-support php-illuminate-validation php-illuminate-translation php-illuminate-events \
    php-illuminate-collections php-illuminate-contracts php-illuminate-pipeline php-illuminate-bus \
    php-illuminate-queue php-illuminate-filesystem php-guzzlehttp-guzzle php-nesbot-carbon || {
    echo "setup: could not install the PHP peer's packages; see ../shared/php-peer/README.md" >&2
    exit 1
  }
fi

if ! command -v "${CHROMIUM_PATH:-chromium}" >/dev/null; then
  echo "setup: installing chromium"
  apt_install chromium || {
    echo "setup: could not install chromium; run: apt-get install chromium" >&2
    exit 1
  }
fi
