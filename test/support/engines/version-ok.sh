#!/bin/sh
# Fake CLI: prints a version, and its environment's secret if it ever got one.
echo "fake-cli 1.2.3 ${AWS_SECRET_ACCESS_KEY:-clean}"
