#!/usr/bin/env python3
"""Sums the GoogleTest case results that `meson test` left as <test>.xml in
each build dir, and prints one closing line: "N passed, N failed, N skipped".
Meson counts test executables; this counts the cases inside them. Exits 1 if
any case or step failed, or if no case ran at all."""

import argparse
import glob
import os
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dirs", nargs="*")
    parser.add_argument("--extra-passed", type=int, default=0)
    parser.add_argument("--extra-failed", type=int, default=0)
    parser.add_argument("--failed-steps", type=int, default=0,
                        help="builds or test runs that failed as a whole")
    args = parser.parse_args()

    passed, failed, skipped = args.extra_passed, args.extra_failed, 0
    for build_dir in args.build_dirs:
        for path in sorted(glob.glob(os.path.join(build_dir, "*_test.xml"))):
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError as error:
                print(f"{path}: unreadable ({error})", file=sys.stderr)
                failed += 1
                continue
            for case in root.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                elif case.get("result") == "skipped" or case.find("skipped") is not None:
                    skipped += 1
                elif case.get("status", "run") == "run":
                    passed += 1
    if args.failed_steps:
        print(f"{args.failed_steps} build or test step(s) failed", file=sys.stderr)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 and args.failed_steps == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
