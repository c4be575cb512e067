# Sourced by the scripts that test a real `brigade serve` (api-fuzz.sh, browser-test.sh):
# `start_test_server NAME [serve options…]` starts "$bin" serve on a fresh SQLite file in a new
# scratch folder and a free loopback port, waits until it listens, and sets `work`, `port`,
# `server` (its pid) and `token` (the default tenant's); the server and the folder go at exit.
start_test_server() {
    local name="$1"
    shift
    work="$(mktemp -d "/tmp/brigade-$name.XXXXXX")"
    port=$((30000 + RANDOM % 20000))
    "$bin" serve --db "$work/$name.sqlite" --port "$port" "$@" >"$work/serve.log" 2>&1 &
    server=$!
    trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
    for _ in $(seq 1 200); do
        grep -q "Brigade serving" "$work/serve.log" 2>/dev/null && break
        kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; echo "error: brigade serve exited" >&2; exit 1; }
        sleep 0.1
    done
    token="$(grep -o 'BRIGADE_TOKEN=[^ ]*' "$work/serve.log" | head -1 | cut -d= -f2)"
    [ -n "$token" ] || { cat "$work/serve.log" >&2; echo "error: no token printed" >&2; exit 1; }
}
