"""``python -m symphys.viewer TRAJ.npz --out X.html [--out X.gif] [--fps F]``."""

import sys

from .command import main

sys.exit(main())
