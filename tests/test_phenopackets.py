"""GA4GH Phenopacket v2 out and in: every shipped case is exported, read back by the `phenopackets`
package (protobuf json_format, not our writer), imported as a case and classified again; the
subtypes and patterns must be those of the original case file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from google.protobuf import json_format
from phenopackets import Phenopacket
from rdflib.namespace import RDF
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.interchange.phenopackets import phenopacket_export, phenopacket_to_case
from calcinosis_kb.knowledgebase.loading import load_ontology
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CCKB
from calcinosis_kb.knowledgebase.normalise import unit_problem
from calcinosis_kb.quality.validation import validate
from calcinosis_kb.reasoning.classify import Inference
from calcinosis_kb.reasoning.infer import infer

from .conftest import DATA, ROOT, by_case, verified_identifiers

PACKETS = DATA / "phenopackets"
SHIPPED_CASES = sorted(
    match for path in sorted((ROOT / "cases").glob("*.ttl"))
    for match in re.findall(r"^case:(\S+) a cckb:CalcinosisCutis", path.read_text(encoding="utf-8"), re.M)
)


@pytest.fixture(scope="session")
def exported(kb: KnowledgeBase) -> dict[str, dict[str, object]]:
    return dict(phenopacket_export(kb, kb.case_files, inferred=False).packets)


@pytest.fixture(scope="session")
def round_trip(kb: KnowledgeBase, exported: dict[str, dict[str, object]],
               tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Each export written as JSON, read back by protobuf, and imported as a Turtle case file."""
    folder = tmp_path_factory.mktemp("phenopackets")
    (folder / "json").mkdir()
    (folder / "ttl").mkdir()
    for case_id, packet in exported.items():
        text = json.dumps(packet, ensure_ascii=False, indent=2)
        (folder / "json" / f"{case_id}.json").write_text(text, encoding="utf-8")
        message = json_format.Parse(text, Phenopacket())  # the independent reader
        reread = json_format.MessageToDict(message)
        imported = phenopacket_to_case(kb, reread, f"{case_id}.json")
        (folder / "ttl" / f"{case_id}.ttl").write_text(imported.turtle, encoding="utf-8")
    return folder / "json", folder / "ttl"


@pytest.fixture(scope="session")
def reimported(kb: KnowledgeBase, round_trip: tuple[Path, Path]) -> Inference:
    return infer(kb, sorted(round_trip[1].glob("*.ttl")), explain=False)


@pytest.fixture(scope="session")
def json_inferred(kb: KnowledgeBase, round_trip: tuple[Path, Path]) -> Inference:
    """`kb infer` given the Phenopacket JSON files themselves (the interchange layer's reader)."""
    from calcinosis_kb.interchange.phenopackets.reading import read_case

    return infer(kb, sorted(round_trip[0].glob("*.json")), explain=False, read_json=read_case)


def test_every_shipped_case_is_exported(exported: dict[str, dict[str, object]]) -> None:
    assert SHIPPED_CASES and sorted(exported) == SHIPPED_CASES


@pytest.mark.parametrize("case_id", SHIPPED_CASES)
def test_round_trip_keeps_subtypes_and_patterns(
    case_id: str, shipped: Inference, reimported: Inference, json_inferred: Inference
) -> None:
    original = by_case(shipped)[f"case:{case_id}"]
    assert not reimported.errors and not json_inferred.errors
    for inference in (reimported, json_inferred):
        again = by_case(inference)[f"case:{case_id}"]
        for key in ("inferred_subtypes", "inferred_patterns", "authors_subtypes", "authors_patterns"):
            assert again[key] == original[key], (case_id, key)


def test_imported_cases_pass_validation(kb: KnowledgeBase, round_trip: tuple[Path, Path]) -> None:
    """The imported Turtle is a valid case file: SHACL, terms, units, consistency, and (the source
    texts being at hand) even the quotes, which travel in evidence and externalReferences."""
    report = validate(kb, sorted(round_trip[1].glob("*.ttl")))
    allowed = set() if kb.text_folders else {"quote"}
    assert [p.as_text() for p in report.problems if p.check not in allowed] == []


def _classes(value: object) -> list[dict[str, str]]:
    """Every OntologyClass (an object with id and label) in a JSON value."""
    if isinstance(value, dict):
        own = [value] if {"id", "label"} <= set(value) else []
        return own + [c for item in value.values() for c in _classes(item)]
    if isinstance(value, list):
        return [c for item in value for c in _classes(item)]
    return []


def test_identifiers_are_verified_or_our_own(kb: KnowledgeBase, exported: dict[str, dict[str, object]]) -> None:
    verified = verified_identifiers()
    ontology = load_ontology(kb)
    used: set[str] = set()
    for packet in exported.values():
        for cls in _classes(packet):
            ident = cls["id"]
            used.add(ident)
            if ident.startswith("UCUM:"):
                assert unit_problem(ontology, CCKB.LabResult, ident[5:]) is None, ident  # a code, not a class
            elif ident.startswith("cckb:"):
                assert (CCKB[ident[5:]], None, None) in ontology, ident
            else:
                assert ident in verified, ident
        meta = packet["metaData"]
        assert isinstance(meta, dict)
        declared = {r["namespacePrefix"] for r in meta["resources"]}
        assert {i.split(":")[0] for c in _classes(packet) for i in [c["id"]]} <= declared
    assert any(i.startswith("HP:") for i in used) and any(i.startswith("MONDO:") for i in used)
    assert any(i.startswith("LOINC:") for i in used) and any(i.startswith("UBERON:") for i in used)


def test_export_keeps_the_facts_structure(exported: dict[str, dict[str, object]]) -> None:
    carrascosa = exported["carrascosa2011"]
    subject = carrascosa["subject"]
    assert subject == {"id": "carrascosa2011-patient", "timeAtLastEncounter": {"age": {"iso8601duration": "P87Y"}},
                       "vitalStatus": {"status": "DECEASED"}, "sex": "FEMALE"}
    excluded = [d["term"]["id"] for d in carrascosa["diseases"] if d.get("excluded")]  # type: ignore[index,union-attr]
    assert excluded == ["cckb:KidneyDisease", "cckb:MineralMetabolismDisorder"]
    evidence = carrascosa["phenotypicFeatures"][0]["evidence"][0]["reference"]  # type: ignore[index]
    assert evidence["id"] == "DOI:10.1136/bcr.01.2011.3732"
    complications = [d for d in exported["bender2024"]["diseases"] if "onset" in d]  # type: ignore[attr-defined,operator]
    assert len(complications) == 3
    meta = carrascosa["metaData"]
    assert meta["phenopacketSchemaVersion"] == "2.0"  # type: ignore[index]


def test_export_is_reproducible_and_notes_unmapped_terms(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    amonkar = [p for p in kb.case_files if p.stem == "amonkar2022"]
    first = phenopacket_export(kb, amonkar, inferred=False)
    assert first == phenopacket_export(kb, amonkar, inferred=False)
    [note] = [n for n in first.notes if "no verified identifier" in n]
    assert "cckb:Biopsy (biopsy)" in note  # amonkar2022 was diagnosed by a biopsy, which has no verified id
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    packets = phenopacket_export(kb, amonkar, inferred=False).packets
    assert packets[0][1]["metaData"]["created"] == "2023-11-14T22:13:20Z"  # type: ignore[index]


def test_inferred_export_marks_the_reasoners_subtypes(kb: KnowledgeBase, shipped: Inference) -> None:
    packets = dict(phenopacket_export(kb, kb.case_files, inferred=True).packets)
    for case, result in by_case(shipped).items():
        interpretations = packets[case.removeprefix("case:")].get("interpretations", [])
        inferred = [i for i in interpretations if "#inferred-" in i["id"]]  # type: ignore[union-attr,index]
        assert len(inferred) == len(result["inferred_subtypes"]) + len(result["inferred_patterns"])  # type: ignore[arg-type]
        assert all("inferred by HermiT" in i["summary"] for i in inferred)  # type: ignore[index]


# --- kb import and kb infer through the CLI ---------------------------------------------------------


def test_import_foreign_phenopacket_and_infer_it(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "foreign.ttl"
    result = runner.invoke(app, ["import", str(PACKETS / "foreign.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for expected in ("cckb:SystemicSclerosis", "cckb:numericValue 11", 'cckb:unit "mg/dL"', "cckb:Methotrexate",
                     "cckb:hasSite cckb:Thigh", "cckb:ageInYears 1.5", "cckb:hasSex cckb:Female"):
        assert expected in text
    assert "HP:0001482" in result.stderr  # excluded, and no absence class negates it
    again = runner.invoke(app, ["import", str(PACKETS / "foreign.json"), "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.stderr
    inferred = runner.invoke(app, ["infer", str(PACKETS / "foreign.json"), "-f", "json", "--no-explain"])
    assert inferred.exit_code == 0, inferred.output
    (case,) = json.loads(inferred.stdout)
    assert case["file"].endswith("foreign.json")
    assert sorted(case["inferred_subtypes"]) == ["dystrophic", "metastatic"]  # SSc; Ca x P = 77 > 70


def test_import_to_stdout_lists_unmappable_terms(runner: CliRunner) -> None:
    result = runner.invoke(app, ["import", str(PACKETS / "unmappable.json")])
    assert result.exit_code == 0
    assert "not imported: HP:0010766" in result.stderr
    assert "cckb:SubcutaneousCalcification" in result.stdout


@pytest.mark.parametrize(("name", "code", "words"), [
    ("invalid-json.json", 3, ["invalid-json.json:3", "not valid JSON"]),
    ("wrong-field.json", 3, ["wrong-field.json", "not a valid Phenopacket v2", "excludedd"]),
    ("nothing-usable.json", 4, ["nothing to import", "HP:0010766", "HP:0003761"]),
    ("missing.json", 3, ["missing.json: no such file"]),
])
def test_bad_phenopackets(runner: CliRunner, name: str, code: int, words: list[str]) -> None:
    result = runner.invoke(app, ["import", str(PACKETS / name)])
    assert result.exit_code == code
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    for word in words:
        assert word in line
    assert result.stdout == ""


def test_list_export_imports_as_one_file_of_every_case(
    runner: CliRunner, kb: KnowledgeBase, shipped: Inference, tmp_path: Path
) -> None:
    listed = tmp_path / "all.json"
    assert runner.invoke(app, ["export", "-f", "phenopacket", "-o", str(listed)]).exit_code == 0
    case_file = tmp_path / "all.ttl"
    result = runner.invoke(app, ["import", str(listed), "-o", str(case_file)])
    assert result.exit_code == 0, result.stderr
    assert f"wrote {len(SHIPPED_CASES)} case(s)" in result.stderr
    again = {r.case: (r.inferred_subtypes, r.inferred_patterns) for r in infer(kb, [case_file], explain=False).results}
    assert again == {r.case: (r.inferred_subtypes, r.inferred_patterns) for r in shipped.results}


@pytest.mark.parametrize(("items", "code", "words"), [
    ([], 3, ["an empty list"]),
    ([{"id": "family-1", "proband": {"id": "p"}}], 3, ["a Phenopacket Family, not a Phenopacket; import its proband"]),
    (["foreign.json", "foreign.json"], 3, ["[1]: a second Phenopacket with id"]),
    (["nothing-usable.json"], 4, ["nothing to import"]),
])
def test_bad_phenopacket_lists(runner: CliRunner, tmp_path: Path, items: list[object], code: int,
                               words: list[str]) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([json.loads((PACKETS / item).read_text()) if isinstance(item, str) else item
                                  for item in items]))
    result = runner.invoke(app, ["import", str(listed)])
    assert result.exit_code == code
    assert "\n" not in result.stderr.strip() and all(word in result.stderr for word in words)


def test_infer_on_a_phenopacket_names_what_it_left_out(runner: CliRunner) -> None:
    result = runner.invoke(app, ["infer", str(PACKETS / "unmappable.json"), "--no-explain"])
    assert result.exit_code == 0, result.stderr
    assert "kb: note: " in result.stderr and "unmappable.json: not imported: HP:0010766" in result.stderr


@pytest.mark.parametrize(("value", "unit", "imported", "reason"), [
    ("11.0", "UCUM:mg/dL", True, ""),  # protobuf JSON may write a number as a string
    ("NaN", "UCUM:mg/dL", False, "not a finite number"),
    ("Infinity", "UCUM:mg/dL", False, "not a finite number"),
    (11.0, "UCUM:g", False, "cannot be converted to mg/dL"),
    (11.0, "UCUM:", False, "no unit code"),
])
def test_measurement_values_are_checked_on_import(
    runner: CliRunner, tmp_path: Path, value: object, unit: str, imported: bool, reason: str
) -> None:
    packet = json.loads((PACKETS / "foreign.json").read_text())
    packet["measurements"][0]["value"]["quantity"].update(value=value, unit={"id": unit, "label": unit})
    path = tmp_path / "packet.json"
    path.write_text(json.dumps(packet))
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    assert ("cckb:numericValue 11" in result.stdout) is imported
    if not imported:
        assert f"not imported: {value} {unit}: value of" in result.stderr and reason in result.stderr
        assert "cckb:numericValue 7" in result.stdout  # the other measurement is still imported


@pytest.mark.parametrize("case_file", sorted((ROOT / "cases").glob("*.ttl")), ids=lambda p: p.stem)
def test_round_trip_keeps_every_triple_of_the_shipped_cases(
    kb: KnowledgeBase, round_trip: tuple[Path, Path], case_file: Path
) -> None:
    from rdflib.compare import graph_diff, isomorphic

    from calcinosis_kb.knowledgebase.loading import merge, parse_turtle

    original = parse_turtle(case_file)
    cases = [str(c).rsplit("/", 1)[-1] for c in original.subjects(RDF.type, CCKB.CalcinosisCutis)]
    again = merge(parse_turtle(round_trip[1] / f"{case}.ttl") for case in cases)
    if not isomorphic(original, again):
        _, lost, added = graph_diff(original, again)
        pytest.fail(f"{case_file.name}: lost {sorted(lost)[:3]} added {sorted(added)[:3]}")
