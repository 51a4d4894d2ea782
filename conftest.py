"""Root pytest configuration, loaded for every test path (tests/, klbook/, chapters/).

Set before nbval starts any kernel, so chapters run exactly as their committed outputs
were made: no progress bars (KLBOOK_QUIET) and on the CPU, the reference device.
"""

import os

os.environ["KLBOOK_QUIET"] = "1"
os.environ["KLBOOK_DEVICE"] = "cpu"
