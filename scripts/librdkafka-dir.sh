#!/usr/bin/env bash
# Prints a folder holding `librdkafka.so.1` → the librdkafka 2.16 shipped in the confluent-kafka wheel (PyPI).
#
# The binary links against Debian's librdkafka-dev (2.0.2), which cannot talk to current brokers such as tansu;
# running it with LD_LIBRARY_PATH="$(scripts/librdkafka-dir.sh)" loads the newer, ABI-compatible library instead.
set -euo pipefail
wheel_dir=$(python3 -c 'import confluent_kafka, os; print(os.path.join(os.path.dirname(os.path.dirname(confluent_kafka.__file__)), "confluent_kafka.libs"))' 2>/dev/null) ||
    { echo "confluent-kafka (PyPI) is not installed; run scripts/bootstrap.sh test" >&2; exit 1; }
library=$(ls "$wheel_dir"/librdkafka-*.so.1 2>/dev/null | head -n 1)
[ -n "$library" ] || { echo "no librdkafka in $wheel_dir" >&2; exit 1; }
folder="$(cd "$(dirname "$0")/.." && pwd)/.build/librdkafka"
mkdir -p "$folder"
ln -sfn "$library" "$folder/librdkafka.so.1"
echo "$folder"
