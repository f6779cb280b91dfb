#!/bin/sh
# A service that needs an API token. It reads it at start-up, from a file
# (preferred) or an environment variable, and never prints it.

TOKEN_FILE="${API_TOKEN_FILE:-/run/secrets/api_token}"

if [ -r "$TOKEN_FILE" ]; then
  token="$(cat "$TOKEN_FILE")"
  source="file $TOKEN_FILE"
elif [ -n "$API_TOKEN" ]; then
  token="$API_TOKEN"
  source="environment variable API_TOKEN"
else
  echo "no API token: mount it at $TOKEN_FILE or set API_TOKEN" >&2
  exit 78
fi

# Prove that a token arrived without revealing it: its length and a short hash.
fingerprint="$(printf '%s' "$token" | sha256sum | cut -c1-12)"
echo "api token configured from $source (${#token} characters, sha256 ${fingerprint}...)"
echo "payment API client ready"
