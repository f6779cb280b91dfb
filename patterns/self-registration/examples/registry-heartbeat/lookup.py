"""A client that finds a service through the registry and calls it directly."""

import json
import sys
import urllib.request

name = sys.argv[1]
with urllib.request.urlopen("http://localhost:8500/services", timeout=2) as response:
    services = json.load(response)
entry = services[name]
url = f"http://{entry['address']}:{entry['port']}/"
print(f"registry says {name} is at {url}")
with urllib.request.urlopen(url, timeout=2) as response:
    print(response.read().decode().strip())
