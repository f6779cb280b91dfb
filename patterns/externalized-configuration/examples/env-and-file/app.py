"""A service that reads its configuration from outside the image.

Three layers, later ones win:
  1. /app/defaults.ini, baked into the image: values that are the same in
     every environment.
  2. /config/app.ini, if a volume provides one: settings an operator may
     change without a new image (feature switches, tuning).
  3. Environment variables for what differs per environment: APP_ENV and
     DATABASE_URL. These have no defaults; without them the service refuses
     to start instead of guessing.

It prints the configuration it ended up with, as a service would at start-up,
and exits so that the example stays short.
"""

import configparser
import os
import sys

DEFAULTS = "/app/defaults.ini"
OVERRIDES = "/config/app.ini"
REQUIRED_ENV = ("APP_ENV", "DATABASE_URL")

missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
if missing:
    print(f"error: {', '.join(missing)} is not set; refusing to start", file=sys.stderr)
    sys.exit(2)

config = configparser.ConfigParser()
config.read(DEFAULTS)
settings = {key: (value, "image defaults") for key, value in config["app"].items()}
if os.path.exists(OVERRIDES):
    extra = configparser.ConfigParser()
    extra.read(OVERRIDES)
    settings.update({key: (value, OVERRIDES) for key, value in extra["app"].items()})

print(f"environment: {os.environ['APP_ENV']} (from APP_ENV)")
print(f"database: {os.environ['DATABASE_URL']} (from DATABASE_URL)")
for key, (value, source) in sorted(settings.items()):
    print(f"{key}: {value} ({source})")
