"""Compare two folders of screenshots (docs/take_screenshots.py --all) pixel by pixel.

    .venv/bin/python docs/compare_screenshots.py BEFORE AFTER

Prints each page that differs (its size, or the box and number of pixels that changed)
and how many match; exits 1 if any differs or is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageChops


def compare(before: Path, after: Path) -> int:
    same = differ = 0
    for left in sorted(before.glob("*.png")):
        right = after / left.name
        if not right.exists():
            print(f"missing   {left.name}")
            differ += 1
            continue
        x, y = Image.open(left).convert("RGB"), Image.open(right).convert("RGB")
        if x.size != y.size:
            print(f"size      {left.name}: {x.size} then {y.size}")
            differ += 1
            continue
        changed = ImageChops.difference(x, y).convert("L").point(lambda v: 255 if v else 0)
        box = changed.getbbox()
        if box is None:
            same += 1
            continue
        pixels = changed.histogram()[255]
        print(f"differs   {left.name}: {pixels} pixels in {box}")
        differ += 1
    print(f"{same} of {same + differ} screenshots identical")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
