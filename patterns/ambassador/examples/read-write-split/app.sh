#!/bin/sh
# The application. All it knows is "the store is on localhost:6379"; it has
# no idea that there are two servers, or where they are.
set -e
STORE=http://127.0.0.1:6379
echo "app: write -> $(wget -qO- --post-data "${VALUE:-blue}" "$STORE/kv/colour")"
echo "app: read  -> $(wget -qO- "$STORE/kv/colour")"
