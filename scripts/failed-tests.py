#!/usr/bin/env python3
"""Prints a `swift test --filter` pattern, one per line, for each failed test in a Swift Testing
xUnit report (the file `swift test --xunit-output X.xml` writes as X-swift-testing.xml)."""
import re
import sys
import xml.etree.ElementTree as ElementTree

seen = set()
for case in ElementTree.parse(sys.argv[1]).iter("testcase"):
    if case.find("failure") is None and case.find("error") is None:
        continue
    identifier = f'{case.get("classname")}/{case.get("name")}'
    if identifier not in seen:
        seen.add(identifier)
        print("^" + re.escape(identifier))
