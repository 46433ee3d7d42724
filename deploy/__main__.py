import sys

from deploy.domain import main

sys.exit(main())
