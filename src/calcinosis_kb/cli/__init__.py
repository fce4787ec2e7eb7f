"""The `kb` command line: the application, its shared options and its entry point
(application.py), and its commands by layer: knowledge.py (validate, infer, audit, cases,
evidence), querying.py (query, sparql, push), interchange.py (export, release, import), site.py (site)."""

import sys

try:
    from calcinosis_kb.cli import interchange, knowledge, querying, site  # each registers its commands on the app
    from calcinosis_kb.cli.application import app, entrypoint
except KeyboardInterrupt:  # a Ctrl-C while kb starts, before entrypoint() can answer it (exit code 130)
    sys.stderr.write("kb: interrupted\n")
    sys.exit(130)

__all__ = ["app", "entrypoint", "interchange", "knowledge", "querying", "site"]
