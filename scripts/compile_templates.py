"""`make templates`: compile the Jinja2 templates to Python ahead of time.

A cold Lambda then imports the page's template instead of lexing, parsing and compiling
it (about 10 ms of a cold first view here, several times that on a small Lambda). The
output lives in chalicelib/templates_compiled/ (it ships with the function) with a digest
of the sources it was made from and of the Jinja2 version that made it (SOURCES.sha256:
sha256 of "Jinja2 <version>\\0", then each *.html's name, \\0, bytes, \\0, by name). The
renderer falls back to the sources whenever either no longer matches, so an edited
template or another Jinja2 is never served stale output, only compiled on the fly.
requirements.in pins Jinja2 exactly: run this after changing that pin. A test fails
while the checked-in output is out of date. It also minifies the pages' inline script
(glance.js, with calmjs.parse: an ES5 parser whose printer shortens local names) into
the same folder, named by the source's digest.

    python scripts/compile_templates.py [--check]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.web.rendering import (  # noqa: E402
    COMPILED_DIR,
    DIGEST_FILE,
    TEMPLATES_DIR,
    environment,
    minified_name,
    sources_digest,
)


def compile_into(target: Path) -> None:
    environment(TEMPLATES_DIR).compile_templates(
        str(target), zip=None, filter_func=lambda name: name.endswith(".html"), ignore_errors=False
    )
    (target / DIGEST_FILE).write_text(sources_digest(TEMPLATES_DIR) + "\n", encoding="utf-8")
    # The pages' inline script, minified (a third fewer gzipped bytes than the source, on
    # every page): parsed, printed without comments or spaces, local names shortened (the
    # globals it uses keep theirs). Named by its source's digest, so an edited glance.js is
    # never served as its old self.
    from calmjs.parse import es5
    from calmjs.parse.unparsers.es5 import minify_print

    source = (TEMPLATES_DIR / "glance.js").read_text(encoding="utf-8")
    minified = minify_print(es5(source), obfuscate=True, obfuscate_globals=False)
    (target / minified_name(source)).write_text(minified, encoding="utf-8")


def same(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir() if p.is_file())
    if names != sorted(p.name for p in b.iterdir() if p.is_file()):
        return False
    return all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is up to date")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "compiled"
        fresh.mkdir()
        compile_into(fresh)
        if args.check:
            if COMPILED_DIR.is_dir() and same(fresh, COMPILED_DIR):
                print("compiled templates are up to date")
                return 0
            print(
                "error: chalicelib/templates_compiled/ is out of date: run make templates",
                file=sys.stderr,
            )
            return 1
        shutil.rmtree(COMPILED_DIR, ignore_errors=True)
        shutil.copytree(fresh, COMPILED_DIR)
    count = len(list(COMPILED_DIR.glob("*.py")))
    print(f"compiled {count} templates into {COMPILED_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
