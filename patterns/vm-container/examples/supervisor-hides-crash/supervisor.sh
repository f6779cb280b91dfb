#!/bin/sh
# The VM container's "init": start every service in the background, then sit
# and wait, like a virtual machine would. It never looks at its children again.
httpd -f -p 8080 -h /www &
web=$!
/app/worker.sh &
worker=$!
/app/reporter.sh &
reporter=$!
echo "supervisor: started web ($web), worker ($worker), reporter ($reporter)"
trap 'echo "supervisor: stopping"; kill $web $worker $reporter 2>/dev/null; exit 0' TERM
while true; do
  sleep 1 &
  wait $!
done
