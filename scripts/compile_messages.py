#!/usr/bin/env python
"""Compile locale/*/LC_MESSAGES/*.po to .mo with Babel, so no system gettext is needed.

`make run` and `make test` call it; `.mo` files are build output and not committed.
Exits non-zero if a catalogue has a syntax error or a format mismatch.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    failures = 0
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, abort_invalid=True)
        errors = list(catalog.check())
        for message, errs in errors:
            for err in errs:
                print(f"{po_path}:{message.lineno}: {err}", file=sys.stderr)
                failures += 1
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime and not errors:
            continue
        with mo_path.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
