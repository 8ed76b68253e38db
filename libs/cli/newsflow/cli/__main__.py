"""`python -m newsflow.cli`: how `newsflow up` starts its workers and API, whatever the PATH."""

from newsflow.cli import main

main()
