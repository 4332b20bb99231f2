#!/usr/bin/env bash
# Runs the JMH benchmarks in src/jmh/java (never part of the normal build or tests).
#   scripts/bench-java.sh                       # all of them
#   scripts/bench-java.sh ScoreTableBench -p size=512
# Arguments are passed to JMH (org.openjdk.jmh.Main): a benchmark name pattern, -p, -f, -wi, -i, ...
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -Pjmh -DskipTests test-compile dependency:build-classpath \
	-Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath
exec java -cp "target/test-classes:target/classes:$(cat target/jmh.classpath)" org.openjdk.jmh.Main "$@"
