"""Generative models side by side: ``python -m bench.generate gan ...`` runs the GAN family
(:mod:`bench.generate_gan`). Results: ``bench/results/generate.jsonl``."""

from __future__ import annotations

import sys


def main() -> None:
    parts = {"gan": "bench.generate_gan"}
    if len(sys.argv) < 2 or sys.argv[1] not in parts:
        sys.exit(f"usage: python -m bench.generate {{{','.join(parts)}}} ...")
    import importlib

    importlib.import_module(parts[sys.argv[1]]).main(sys.argv[2:])


if __name__ == "__main__":
    main()
