from calcinosis_kb.cli import entrypoint

entrypoint()
