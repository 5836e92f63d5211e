#!/usr/bin/env bash
# The services the tests talk to: PostgreSQL (trust auth on 127.0.0.1 for user postgres), Redis,
# RabbitMQ and NATS with JetStream, on their default local ports. Installs the Debian packages that
# are missing and starts what does not answer; a warm machine only pings four ports.
set -euo pipefail
. "$(dirname "$0")/lib.bash"

if up 5432 && up 6379 && up 5672 && up 4222; then
  echo "services up: PostgreSQL 5432, Redis 6379, RabbitMQ 5672, NATS 4222"
  exit 0
fi
fresh_pg=0
dpkg -s postgresql >/dev/null 2>&1 || fresh_pg=1
need_pkgs postgresql redis-server rabbitmq-server nats-server

if ! up 5432; then
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  if [ "$fresh_pg" = 1 ] || ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    # A throwaway test machine: the tests connect as postgres without a password (DefaultAdminURL).
    sed -i '/^#/!{/^\s*$/!d}' "$hba"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' >>"$hba"
  fi
  echo "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  wait_up 5432 PostgreSQL
fi
if ! up 6379; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_up 6379 Redis
fi
if ! up 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
  wait_up 5672 RabbitMQ
fi
if ! up 4222; then
  echo "starting NATS"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_up 4222 NATS
fi
echo "services up: PostgreSQL 5432, Redis 6379, RabbitMQ 5672, NATS 4222"
