#!/usr/bin/env bash
# Restore or promote the LLM-Marketplace database (example runbook script; drready only checks it exists).
set -euo pipefail
echo "usage: restore-database.sh --promote | --snapshot ID" >&2
exit 64
