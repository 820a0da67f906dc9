#!/usr/bin/env bash
# npm run test:pg — the test suite on a fresh database of the local PostgreSQL server.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
db="gatehouse_test_$(date +%s)_$$"
psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "create database $db"
trap 'psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "drop database if exists $db with (force)"' EXIT
TEST_DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db" npx vitest run "$@"
