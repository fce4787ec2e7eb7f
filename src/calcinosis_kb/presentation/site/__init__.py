"""`kb site`: the knowledge base as a static site for clinicians (build.py renders and writes it,
content.py gathers it from the library, charts.py draws the SVG charts, highlight.py marks quotes
in source texts; templates/ and static/ ship in the wheel with the package)."""
