"""Stand-in for the get-pip.py that ansible-test downloads to put pip into its sanity venvs.

ansible-test fetches that script from a host this machine cannot reach, and reads it from
~/.ansible/test/cache/ when it is there.  This one does the same job with what Python ships:
ensurepip installs the bundled pip, which then installs the versions ansible-test asked for
from PyPI.  ansible-test runs it with pip's install options and the packages as arguments.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}


def main():
    ensurepip.bootstrap(upgrade=True)
    # ensurepip hides the pip configuration from itself (and leaves it hidden); the install
    # below needs it, for the machine's index and certificates.
    for name in ("PIP_CONFIG_FILE", "ENSUREPIP_OPTIONS"):
        os.environ.pop(name, None)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])


main()
