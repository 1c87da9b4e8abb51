#!/usr/bin/env python3
"""Proves that TensorBoard itself reads a run's event files.

Usage: check_tensorboard.py RUN_TB_DIR TAG N

Loads RUN_TB_DIR (e.g. runs/<run>/tensorboard) with TensorBoard's EventAccumulator, checks that
the scalar tag TAG exists with exactly N points, and prints them, one "step<TAB>value" line each.

Exit status: 0 ok; 1 tag missing or wrong count; 2 bad usage; 3 the `tensorboard` package is not
importable (run scripts/setup.sh, which installs it into .venv).
"""
import sys


def main() -> int:
    if len(sys.argv) != 4 or not sys.argv[3].isdigit():
        print(__doc__.strip(), file=sys.stderr)
        return 2
    run_dir, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError as e:
        print(f"check_tensorboard: cannot import tensorboard ({e}): run scripts/setup.sh", file=sys.stderr)
        return 3
    acc = EventAccumulator(run_dir, size_guidance={"scalars": 0})  # 0: keep every point
    acc.Reload()
    tags = acc.Tags().get("scalars", [])
    if tag not in tags:
        print(f"check_tensorboard: tag {tag!r} not in {run_dir}; scalar tags: {sorted(tags)}", file=sys.stderr)
        return 1
    events = acc.Scalars(tag)
    for e in events:
        print(f"{e.step}\t{e.value!r}")
    if len(events) != n:
        print(f"check_tensorboard: tag {tag!r} has {len(events)} scalars, expected {n}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
