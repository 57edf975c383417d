#!/usr/bin/env bash
# Build the test OpenSearch node: its Maven dependencies into lib/, OsHarness.java into classes/.
# Run by .ci/run; run it by hand once before `cargo test` on a new machine (Java 17 and Maven).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f lib/.complete ]; then
  rm -rf lib
  mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime
  touch lib/.complete
fi
mkdir -p classes
javac -d classes -cp 'lib/*' OsHarness.java
echo "OpenSearch test node: $(ls lib | grep -c jar) jars, $(ls lib | grep -E '^opensearch-[0-9]' )"
