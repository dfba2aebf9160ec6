"""Write one section of benchmarks/RESULTS.md, keeping the others."""

from __future__ import annotations

import os
import re

HEADER = ("# Benchmark results\n\nEach section says the command that produced it. "
          "Times are the best of 3 runs after a warm-up call (1 run when it takes over 10 s); "
          "ratios are measured in the same run.\n")


def write_section(path: str, name: str, text: str) -> None:
    """Replace (or append) the section delimited by <!-- name --> markers."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{text.strip()}\n{end}"
    content = open(path).read() if os.path.exists(path) else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    content = pattern.sub(lambda _: block, content) if pattern.search(content) else (
        content.rstrip() + "\n\n" + block + "\n")
    with open(path, "w") as handle:
        handle.write(content)


def image_link(alt: str, image: str, results: str) -> str:
    """Markdown image of file ``image``, its path relative to the folder of the results file ``results``."""
    return f"![{alt}]({os.path.relpath(image, os.path.dirname(os.path.abspath(results)))})"
