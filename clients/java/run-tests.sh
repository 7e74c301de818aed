#!/bin/sh
# Builds the extension and its example test with Debian's OpenJDK and junit5
# (/usr/share/java), offline, and runs them with the JUnit console launcher.
#   ACSEMU_BIN=/path/to/acsemu clients/java/run-tests.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
j=/usr/share/java
cp=$j/junit-jupiter-api.jar:$j/apiguardian-api.jar:$j/opentest4j.jar:$j/junit-platform-commons.jar
cp=$cp:$j/junit-platform-launcher.jar:$j/junit-platform-engine.jar
out=$(mktemp -d "${TMPDIR:-/tmp}/acsemu-java.XXXXXX")
trap 'rm -rf "$out"' EXIT
javac -d "$out" -cp "$cp" $(find "$here/src" -name '*.java')
java -jar $j/junit-platform-console-standalone.jar --disable-banner --details=tree \
    -cp "$out:$cp" --select-package acsemu.junit --fail-if-no-tests
