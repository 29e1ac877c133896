#!/bin/sh
# Container entry point: the operational runbook's command names -> the `osaa` CLI.
#   docker compose run --rm pipeline config_test        -> osaa config-test
#   docker compose run --rm pipeline promote --from dev --to qa
#                                                       -> osaa promote --from dev --to qa
# Arguments after the command name are passed through unchanged. Exit code: the command's own,
# 2 for an unknown command or for data/, reports/ or logs/ that this user cannot write.
set -eu

usage() {
    cat <<'USAGE'
usage: docker compose run --rm [-e USERNAME=you] pipeline COMMAND [ARGS...]

pipeline:    ingest | etl | transform | run_pipeline | run_notebooks | quality | export
             promote --from dev --to qa | backup | backups list | restore | dr_test
operations:  config_test | status | logs [--since 24h] [--level ERROR]
             performance_report [--week|--month] | storage_report [--monthly] | benchmark --full
sqlmesh:     sqlmesh_list | sqlmesh_validate | sqlmesh_lineage | duckdb_cli
other:       osaa ARGS... (any osaa command) | shell | help
notebooks:   docker compose --profile ui up ui   (marimo editor on port 2718)
USAGE
}

# The mounted folders belong to the host user; a container running as someone else would fail
# deep inside a command with "Permission denied". Say so at once, with the fix.
require_writable() {
    for dir in "${OSAA_PROJECT_DIR:-/app}/data" "${OSAA_PROJECT_DIR:-/app}/reports" \
        "${OSAA_LOG_DIR:-/var/log/osaa-pipeline}"; do
        if [ -d "$dir" ] && [ ! -w "$dir" ]; then
            echo "error: $dir is not writable by uid $(id -u) (gid $(id -g)): it belongs to" \
                "uid $(stat -c %u "$dir") (gid $(stat -c %g "$dir")) on the host." >&2
            echo "Run the container as that user: OSAA_UID=\$(id -u) and OSAA_GID=\$(id -g) in .env" \
                "(see docs/operations.md, Docker)." >&2
            exit 2
        fi
    done
}

if [ "$#" -eq 0 ]; then
    usage
    exit 0
fi
command="$1"
shift

case "$command" in
    help | -h | --help)
        usage
        exit 0
        ;;
    config_test | config-test) set -- config-test "$@" ;;
    duckdb_cli | duckdb-cli | sql) set -- sql "$@" ;;
    sqlmesh_list) set -- models list "$@" ;;
    sqlmesh_validate) set -- models validate "$@" ;;
    sqlmesh_lineage) set -- models lineage "$@" ;;
    performance_report | performance-report) set -- performance-report "$@" ;;
    storage_report | storage-report) set -- storage-report "$@" ;;
    run_pipeline | run-pipeline) set -- run-pipeline "$@" ;;
    run_notebooks | run-notebooks) set -- run-notebooks "$@" ;;
    sample_data | sample-data) set -- sample-data "$@" ;;
    dr_test | dr-test | dr_drill | disaster_recovery_test) set -- dr-test "$@" ;;
    ingest | etl | transform | publish | promote | backup | backups | restore | export | \
        benchmark | status | logs | quality | profile | reports | models)
        set -- "$command" "$@"
        ;;
    osaa) ;;
    ui)
        require_writable
        exec marimo edit --headless --host 0.0.0.0 --port 2718 notebooks/ "$@"
        ;;
    shell)
        exec /bin/bash "$@"
        ;;
    *)
        echo "unknown command: $command" >&2
        usage >&2
        exit 2
        ;;
esac

require_writable
exec osaa "$@"
