#!/bin/sh
# Service B: a web server that listens on its own localhost only, so the mesh
# proxy beside it is the only way in. Its handler is the CGI script hello.
echo "service-b: listening on 127.0.0.1:8000"
exec httpd -f -p 127.0.0.1:8000 -h /srv/b
