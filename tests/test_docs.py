"""The README and docs say what the code does."""

from __future__ import annotations

import re

from calcinosis_kb.knowledgebase.errors import ExitCode

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def shell_commands(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_readme_gives_exactly_two_setup_commands() -> None:
    commands = shell_commands(README)
    assert len(commands) == 2
    assert commands[0].endswith("kb infer")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert shell_commands(README)[1] in ci


def test_every_exit_code_documented() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+) \|$", README, flags=re.M))
    assert {int(k) for k in table} == {int(code) for code in ExitCode}


def test_json_keys_documented() -> None:
    from calcinosis_kb.reasoning.classify import CaseResult
    from calcinosis_kb.reasoning.differential import Differential, Placement

    text = (ROOT / "docs" / "infer-json.md").read_text()
    case_part, differential_part = text.split("## The differential")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", case_part, flags=re.M))
    assert set(CaseResult(case="", label="", file="", source="").as_dict()) == documented
    rows = re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|", differential_part, flags=re.M)
    keys = {k for row in rows for k in re.findall(r"`([a-z_]+)`", row)}
    assert set(Differential([Placement("x", "possible")]).as_dict()) == keys
    for key in Placement("x", "possible").as_dict():
        assert f"`{key}`" in differential_part, key


def test_version_single_source() -> None:
    from calcinosis_kb import __version__

    ontology = (ROOT / "ontology" / "calcinosis-kb.ttl").read_text()
    assert f'owl:versionInfo "{__version__}"' in ontology
    from calcinosis_kb.interchange.artefacts import ARTEFACT, release_iri

    assert f"<{release_iri(__version__, ARTEFACT + '.owl')}>" in ontology  # the IRI `kb release` gives the .owl
