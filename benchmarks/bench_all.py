"""Run every system's benchmark (ours vs its peer library, same process) and print one ratio per line.

    .venv/bin/python benchmarks/bench_all.py [--full] [NAME ...]

Each system's ``bench()`` does the same work with our implementation and with the peer (e.g.
torch.nn.Transformer, PyG, statsmodels, ART) in this one process and returns ``ratio`` = ours/peer
throughput (> 1: ours faster). Results are written to runs/<name>-bench-*/bench.json.
"""

import sys

from paperworks.core.cli import main

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    if args:
        for name in args:
            try:
                main(["bench", name, *flags])
            except SystemExit as e:
                if e.code:
                    raise
    else:
        main(["bench", "--all", *flags])
