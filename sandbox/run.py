"""Running setup commands with their output appended to a log file."""

import subprocess


def run_logged(argv, log_file, **kwargs):
    """Run ``argv``; its output goes to ``log_file``; on failure raise with the log's tail."""
    with open(log_file, "ab") as log:
        log.write(f"$ {' '.join(map(str, argv))}\n".encode())
        log.flush()
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=False, **kwargs)
    if result.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-20:]
        raise RuntimeError(f"{argv[0]} failed (exit {result.returncode}); end of {log_file}:\n"
                           + "\n".join(tail))
