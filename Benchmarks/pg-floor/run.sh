#!/usr/bin/env bash
# The floor under Brigade's PostgreSQL store: what PostgreSQL itself does with the rows Brigade
# writes per durable step, with nothing of Brigade in the loop. pgbench runs, in transactions of
# BATCH steps (as the group committer does), the statement Brigade sends for a step's write
# (the fenced instance update, the step row, two history rows, in one statement), against a
# database with Brigade's schema and 10,000 instances.
#
# Usage: Benchmarks/pg-floor/run.sh URL [BATCH] [SECONDS] [SHAPE]   (URL: an empty database; BATCH 64)
# SHAPE "joined" (the default) is the statement Brigade sends for a step today: its start and
# outcome joined into one write (the fenced update, the step row, four history rows, from
# arrays, as InstanceWriteStatement). SHAPE "v1" is the statement it sent before writer lanes
# (the outcome alone: the fenced update, the step row, two history rows, one part per row).
# BATCH 1 is W2's floor: one write per commit, sent alone (no BEGIN/COMMIT) as Brigade sends it.
# Prints, for 1, 2 and 4 clients (Brigade's writer lanes are 4) and for the extended protocol (a
# parse per statement) and prepared statements: steps/s = transactions/s × BATCH.
set -euo pipefail
url="$1"
batch="${2:-64}"
seconds="${3:-15}"
shape="${4:-joined}"
cd "$(dirname "$0")/../.."
bin="${BRIGADE_BIN:-.build/release/brigade}"
pgbench="${PGBENCH:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pgbench}"
# The schema, by Brigade's own migrations.
"$bin" tenants list --db "$url" >/dev/null
psql "$url" -qc "TRUNCATE instances, steps, history, events RESTART IDENTITY" -c "
  INSERT INTO instances (tenant, workflow, id, status, params, created_at, modified_at, due_at, shard, epoch)
  SELECT 'default', 'bench', 'i-' || g, 'running', '{}'::bytea, 0, 0, 0, 0, 1 FROM generate_series(1, 10000) g"
script="$(mktemp /tmp/pg-floor.XXXXXX.sql)"
trap 'rm -f "$script" "$script.err"' EXIT
[ -n "${PG_FLOOR_KEEP:-}" ] && trap - EXIT
{
    # A batch of one is sent alone, without BEGIN and COMMIT, as Brigade's committer sends a lone write.
    [ "$batch" = 1 ] || echo "BEGIN;"
    for ((i = 0; i < batch; i++)); do
        # Each client writes instances of its own, as each of Brigade's lanes does.
        echo "\\set s$i (:client_id * 2500) + random(1, 2500)"
        echo "\\set n$i random(1, 1000000000)"
        if [ "$shape" = v1 ]; then
            cat <<SQL
WITH fence AS (UPDATE instances SET modified_at = 2, status = 'running', due_at = 2 WHERE seq = :s$i AND epoch = 1 RETURNING seq),
step0 AS (INSERT INTO steps (instance_seq, name, count, kind, position, status, attempts, config, value, error_name,
    error_message, non_retryable, deadline, event_type, started_at, ended_at)
  SELECT seq, 'step ' || :n$i, 1, 'do', 0, 'complete', 1, NULL, '{"i":1}'::bytea, NULL, NULL, false, NULL, NULL, 2, 2 FROM fence
  ON CONFLICT (instance_seq, name, count) DO UPDATE SET status = excluded.status, value = excluded.value),
last AS (SELECT coalesce(max(id), 0) AS id FROM history WHERE instance_seq = :s$i),
history0 AS (INSERT INTO history (instance_seq, id, at, type, step, data) SELECT fence.seq, last.id + 1, 2, 'attempt_completed', 'step', NULL FROM fence, last),
history1 AS (INSERT INTO history (instance_seq, id, at, type, step, data) SELECT fence.seq, last.id + 2, 2, 'step_completed', 'step', NULL FROM fence, last)
SELECT (SELECT count(*) FROM fence);
SQL
        else
            cat <<SQL
WITH fence AS (UPDATE instances SET modified_at = 2, status = coalesce(NULL::text, status),
    due_at = CASE WHEN NULL::text IS NULL THEN due_at ELSE NULL END, output = coalesce(NULL::bytea, output)
  WHERE seq = :s$i AND epoch = 1 AND (NULL::integer IS NULL OR EXISTS (SELECT 1 FROM shard_leases WHERE slot = NULL::integer))
  RETURNING seq),
written AS (INSERT INTO steps (instance_seq, name, count, kind, position, status, attempts, config, value, error_name,
    error_message, non_retryable, deadline, event_type, started_at, ended_at)
  SELECT fence.seq, s.* FROM fence, unnest(ARRAY['step ' || :n$i], ARRAY[1::bigint], ARRAY['do'], ARRAY[0::bigint], ARRAY['complete'],
    ARRAY[1::bigint], ARRAY[NULL::bytea], ARRAY['{"i":1}'::bytea], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[false],
    ARRAY[NULL::bigint], ARRAY[NULL::text], ARRAY[2::bigint], ARRAY[2::bigint]) AS s
  ON CONFLICT (instance_seq, name, count) DO UPDATE SET status = excluded.status, value = excluded.value),
consumed AS (UPDATE events SET consumed = true WHERE seq = ANY(ARRAY[]::bigint[]) AND instance_seq = (SELECT seq FROM fence) RETURNING seq),
last AS (SELECT coalesce(max(id), 0) AS id FROM history WHERE instance_seq = :s$i),
appended AS (INSERT INTO history (instance_seq, id, at, type, step, data)
  SELECT fence.seq, last.id + h.ord, h.at, h.type, h.step, h.data FROM fence, last,
    unnest(ARRAY[2, 2, 2, 2]::bigint[], ARRAY['step_started', 'attempt_started', 'attempt_completed', 'step_completed'],
      ARRAY['step', 'step', 'step', 'step'], ARRAY['{"config":{}}', '{"attempt":1}', '{"attempt":1}', NULL]) WITH ORDINALITY AS h(at, type, step, data, ord))
SELECT (SELECT count(*) FROM fence), (SELECT count(*) FROM consumed);
SQL
        fi
    done
    [ "$batch" = 1 ] || echo "COMMIT;"
} >"$script"
for mode in extended prepared; do
    for clients in 1 2 4; do
        tps=$("$pgbench" -n -M "$mode" -c "$clients" -j "$clients" -T "$seconds" -f "$script" "$url" 2>"$script.err" | awk '/^tps/ {print $3}')
        [ -n "$tps" ] || { echo "pgbench failed ($mode, $clients clients):"; tail -3 "$script.err"; continue; }
        python3 -c "import sys; t=float(sys.argv[1]); print(f'pg-floor shape={sys.argv[5]} mode={sys.argv[2]} clients={sys.argv[3]} batch={sys.argv[4]} tps={t:.1f} steps_per_s={t*int(sys.argv[4]):.0f}')" "$tps" "$mode" "$clients" "$batch" "$shape"
    done
done
