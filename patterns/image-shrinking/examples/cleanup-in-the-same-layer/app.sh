#!/bin/sh
# The application: it only needs what the install step left in /opt/toolkit.
echo "toolkit $(cat /opt/toolkit/VERSION) is installed"
if [ -e /var/cache/toolkit ]; then
  echo "download cache: still in the filesystem"
else
  echo "download cache: not in the filesystem"
fi
