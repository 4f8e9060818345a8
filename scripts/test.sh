#!/usr/bin/env bash
# The whole test suite of dispatchd: gofmt, go vet, and go test -race
# against a real Redis. `make test` and .ci/run run this script.
#
# Redis: $REDIS_URL if set; else the server on 127.0.0.1:6379 if it answers
# PING; else a redis-server started here on a free port for this run, and
# stopped afterwards. Some tests start and stop a redis-server of their own
# (outages, restarts), so Debian's redis-server package is installed when
# the binary is missing and we may, whichever Redis the run uses. Tests keep their keys under a prefix of their own and
# delete them. A test that needs Redis and cannot reach it fails; none skips.
#
# Chromium: the report's browser test opens the HTML report in a real
# headless Chromium. $DISPATCHD_CHROMIUM if set (it must be executable);
# else `chromium` on the PATH; else Debian's chromium package is installed
# here. The run fails when none can be had; the test itself installs
# nothing and fails naming the binary it could not find.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== %s\n' "$*"; }

# redis_answers HOST PORT: true if a Redis there answers PING with PONG.
redis_answers() {
	local reply
	{ exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
	printf 'PING\r\n' >&3
	IFS= read -r -t 2 reply <&3 || reply=""
	exec 3<&- 3>&-
	[[ $reply == +PONG* ]]
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 30000))
		if ! { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
			echo "$port"
			return 0
		fi
		exec 3<&- 3>&-
	done
	return 1
}

# install_debian PACKAGE WHAT-ELSE: installs Debian's PACKAGE, or fails
# saying so and what else the user can do (WHAT-ELSE).
install_debian() {
	local sudo=""
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			sudo="sudo -n"
		else
			echo "$1 is not installed and this user cannot install it: install Debian's $1 package or $2" >&2
			exit 1
		fi
	fi
	say "installing Debian's $1 package"
	local log
	log=$(mktemp)
	if ! $sudo apt-get update -qq >"$log" 2>&1 ||
		! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" >>"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "installing Debian's $1 package failed: install it by hand or $2" >&2
		exit 1
	fi
	rm -f "$log"
}

install_redis() { install_debian redis-server "set REDIS_URL"; }

started_redis=""
stop_redis() {
	if [[ -n $started_redis ]]; then
		kill "$started_redis" 2>/dev/null || true
		wait "$started_redis" 2>/dev/null || true
	fi
}
trap stop_redis EXIT

ensure_redis() {
	command -v redis-server >/dev/null || install_redis
	if [[ -n ${REDIS_URL:-} ]]; then
		say "redis: using REDIS_URL=$REDIS_URL"
		return
	fi
	if redis_answers 127.0.0.1 6379; then
		export REDIS_URL="redis://127.0.0.1:6379/0"
		say "redis: using the server on 127.0.0.1:6379"
		return
	fi
	local port dir
	port=$(free_port) || { echo "no free port for redis-server" >&2; exit 1; }
	dir=$(mktemp -d)
	redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
		--logfile "$dir/redis.log" &
	started_redis=$!
	for _ in $(seq 1 100); do
		redis_answers 127.0.0.1 "$port" && break
		sleep 0.1
	done
	if ! redis_answers 127.0.0.1 "$port"; then
		echo "redis-server on port $port did not answer PING:" >&2
		cat "$dir/redis.log" >&2 || true
		exit 1
	fi
	export REDIS_URL="redis://127.0.0.1:$port/0"
	say "redis: started redis-server on 127.0.0.1:$port for this run"
}

say "gofmt"
unformatted=$(gofmt -l .)
if [[ -n $unformatted ]]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

say "go vet"
go vet ./...

ensure_redis

ensure_chromium() {
	if [[ -n ${DISPATCHD_CHROMIUM:-} ]]; then
		if [[ ! -x $DISPATCHD_CHROMIUM ]]; then
			echo "DISPATCHD_CHROMIUM=$DISPATCHD_CHROMIUM is not an executable file" >&2
			exit 1
		fi
	else
		command -v chromium >/dev/null || install_debian chromium "set DISPATCHD_CHROMIUM to a Chromium binary"
		if ! command -v chromium >/dev/null; then
			echo "Debian's chromium package is installed but no chromium is on the PATH" >&2
			exit 1
		fi
		DISPATCHD_CHROMIUM=$(command -v chromium)
		export DISPATCHD_CHROMIUM
	fi
	say "chromium: $("$DISPATCHD_CHROMIUM" --version 2>/dev/null || echo "$DISPATCHD_CHROMIUM")"
}

ensure_chromium

say "go test -race"
go test -race -count=1 ./...
