"""Stand-in for `pip install -r requirements.txt` (the catalog builds without network).

For every pinned requirement it 'downloads and builds' a package into the folder
where pip would put it: the interpreter's own site-packages, as sysconfig names
it (/usr/local/lib/python3.11/site-packages in the python image, whose Python
lives under /usr/local). Like a real install it takes a moment (here a quarter
of a second per package), so re-running this step has a visible cost.
"""

import pathlib
import sys
import sysconfig
import time

requirements = pathlib.Path(sys.argv[1])
target = pathlib.Path(sysconfig.get_paths()["purelib"])
for line in requirements.read_text().splitlines():
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    print(f"installing {name} {version} ...", flush=True)
    time.sleep(0.25)  # the download and compile a real installer would do
    package = target / name.replace("-", "_")
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(f'__version__ = "{version}"\n')
print(f"installed into {target}")
