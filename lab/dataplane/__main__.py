"""``python -m lab.dataplane TOPOLOGY STATUS``: the lab's dataplane agent."""

import sys

from lab.dataplane.agent import main

sys.exit(main())
