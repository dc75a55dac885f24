#!/bin/sh
# Fake CLI whose --version never answers.
sleep 300
