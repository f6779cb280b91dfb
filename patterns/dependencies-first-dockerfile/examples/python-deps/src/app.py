"""The application: its code changes all the time, its dependencies rarely."""

import textwrap_plus
import tinyslug

print("app: started")
print(f"app: using textwrap-plus {textwrap_plus.__version__} and tinyslug {tinyslug.__version__}")
