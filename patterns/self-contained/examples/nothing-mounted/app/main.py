"""A self-contained app: its code, its library and its config template are all in the image.

At start-up it renders its configuration from the template, using defaults for
anything not set in the environment, so it runs with no files mounted and no
network.
"""

import os
import string
import sys

sys.path.insert(0, "/app/vendor")
import banner  # vendored at build time, not installed at run time

DEFAULTS = {"GREETING": "Hello", "WIDTH": "40"}
CONFIG = "/tmp/app.conf"


def render_config() -> dict:
    values = {key: os.environ.get(key, default) for key, default in DEFAULTS.items()}
    with open("/app/templates/app.conf.template") as template:
        text = string.Template(template.read()).substitute(values)
    with open(CONFIG, "w") as config:
        config.write(text)
    settings = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = (part.strip() for part in line.split("=", 1))
            settings[key] = value
    return settings


def main() -> int:
    print(f"banner {banner.VERSION} loaded from {banner.__file__}")
    settings = render_config()
    print(f"config rendered to {CONFIG}: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    print("network interfaces: " + " ".join(sorted(os.listdir("/sys/class/net"))))
    print(banner.boxed(f"{settings['greeting']} from a self-contained image", int(settings["width"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
