"""Build the reduced CJK fonts used in PDFs (run once at set-up; safe to re-run).

Output goes to ``instance/fonts/`` or the directory named by ``PORTAL_FONT_DIR``.
Fonts already newer than the system font are kept unless ``--force`` is given.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Allow running as a plain script from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal.documents.fonts import FontError, build_fonts, font_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--dir", type=Path, default=None, help="output directory")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        fonts = build_fonts(args.dir, force=args.force)
    except FontError as exc:
        print(exc, file=sys.stderr)
        return 1
    for style, path in fonts.items():
        print(f"{style}: {path} ({path.stat().st_size // 1024} KiB)")
    print(f"fonts in {args.dir or font_dir()} ready after {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
