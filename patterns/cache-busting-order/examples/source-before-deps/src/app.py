"""The application: its code changes all the time, its dependencies rarely."""

import colorterm
import markuplite

print("app: started")
print(f"app: using markuplite {markuplite.__version__} and colorterm {colorterm.__version__}")
