"""Seeded synthetic cases for benchmarks and scale tests. Each case is built to meet one
subtype's definition (or none), so its expected subtype is known from how it was made.
The facts are invented on purpose and say so: these cases never enter the knowledge base."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PREFIXES = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix cckb: <https://w3id.org/calcinosis-kb/ontology/> .
@prefix case: <https://w3id.org/calcinosis-kb/case/> .
"""

DYSTROPHIC_CAUSES = ["SystemicSclerosis", "CRESTSyndrome", "Dermatomyositis", "JuvenileDermatomyositis", "Polymyositis",
                     "SystemicLupusErythematosus", "MixedConnectiveTissueDisease", "ChronicVenousInsufficiency",
                     "Trauma", "Burn", "Pilomatrixoma", "PseudoxanthomaElasticum", "Cysticercosis", "LupusPanniculitis"]
MINERAL_DISORDERS = ["Hyperparathyroidism", "SecondaryHyperparathyroidism", "HypervitaminosisD", "MilkAlkaliSyndrome",
                     "Sarcoidosis"]
IATROGENIC_EXPOSURES = ["CalciumContainingHeparinInjection", "CalciumGluconateExtravasation",
                        "CalciumContainingElectrodePaste", "CalciumOrPhosphorusCompoundInjection"]
COMORBIDITIES = ["Hypertension", "Type2DiabetesMellitus", "AtrialFibrillation", "HeartFailure", "Anemia",
                 "RaynaudPhenomenon", "ImpairedRenalFunction"]
SITES = ["Elbow", "Knee", "Thigh", "Hand", "Finger", "Hip", "Shoulder", "LowerLeg", "Wrist"]
TREATMENTS = ["SurgicalExcision", "Diltiazem", "Colchicine", "Etidronate", "AluminiumHydroxide", "Warfarin"]
OUTCOMES = ["NoRecurrence", "CompleteResolution", "PartialResolution", "Refractory", "MarginalBenefit"]
MODALITIES = ["Radiography", "ComputedTomography", "Ultrasonography", "MagneticResonanceImaging"]
KINDS = ["dystrophic", "metastatic", "idiopathic", "iatrogenic", "calciphylaxis", "none"]


@dataclass
class SyntheticCase:
    case_id: str
    expected: str  # one of KINDS
    turtle: str


class _Writer:
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.links: list[str] = []
        self.nodes: list[str] = []

    def fact(self, prop: str, name: str, body: str) -> None:
        node = f"case:{self.case_id}-{name}"
        self.links.append(f"cckb:{prop} {node}")
        self.nodes.append(f'{node} {body} ; cckb:quote "synthetic" .')

    def lab(self, name: str, cls: str, interpretation: str | None = None, value: float | None = None) -> None:
        body = f"a cckb:{cls}"
        if interpretation:
            body += f" ; cckb:hasInterpretation cckb:{interpretation}"
        if value is not None:
            body += f' ; cckb:numericValue {value:.1f} ; cckb:unit "mg/dL"'
        self.fact("hasLabResult", name, body)

    def turtle(self, label: str) -> str:
        head = f'case:{self.case_id} a cckb:CalcinosisCutis ;\n    rdfs:label "{label}"'
        links = "".join(f" ;\n    {link}" for link in self.links)
        return head + links + " .\n" + "\n".join(self.nodes) + "\n"


def generate(count: int, seed: int = 1) -> Iterator[SyntheticCase]:
    """`count` cases cycling through every kind, with seeded random details."""
    rng = random.Random(seed)
    for number in range(count):
        kind = KINDS[number % len(KINDS)]
        case_id = f"syn{seed}-{number:06d}"
        w = _Writer(case_id)
        w.fact("hasPatient", "patient", f"a cckb:Patient ; cckb:ageInYears {rng.randint(5, 90)} ; "
                                        f"cckb:hasSex cckb:{rng.choice(['Female', 'Male'])}")
        extent = rng.choice(["Localized", "Widespread"])
        site = rng.choice(SITES)
        w.fact("hasLesion", "lesion", f"a cckb:Lesion ; cckb:hasSite cckb:{site} ; cckb:hasExtent cckb:{extent}")
        if rng.random() < 0.5:
            w.fact("hasCondition", "comorbidity", f"a cckb:{rng.choice(COMORBIDITIES[:-1])}")
        if rng.random() < 0.5:
            w.fact("hasTreatment", "treatment",
                   f"a cckb:{rng.choice(TREATMENTS)} ; cckb:hasOutcome cckb:{rng.choice(OUTCOMES)}")
        if rng.random() < 0.5:
            w.fact("hasImaging", "imaging", f'a cckb:{rng.choice(MODALITIES)} ; cckb:findingText "calcification"')
        if kind == "dystrophic":
            w.fact("hasCondition", "cause", f"a cckb:{rng.choice(DYSTROPHIC_CAUSES)}")
            w.lab("ca", "SerumCalciumResult", "Normal")
        elif kind == "metastatic":
            route = rng.randrange(3)
            if route == 0:
                w.lab("ca", "SerumCalciumResult", "High")
            elif route == 1:  # by the calcium-phosphate product, from numbers alone
                calcium = rng.uniform(10.0, 13.0)
                w.lab("ca", "SerumCalciumResult", value=calcium)
                w.lab("p", "SerumPhosphateResult", value=rng.uniform(75.0 / calcium, 9.0))
            else:
                w.fact("hasCondition", "cause", f"a cckb:{rng.choice(MINERAL_DISORDERS)}")
        elif kind == "idiopathic":
            w.fact("hasFinding", "noinjury", "a cckb:NoKnownTissueInjury")
            w.lab("ca", "SerumCalciumResult", "Normal")
            w.lab("p", "SerumPhosphateResult", "Normal")
        elif kind == "iatrogenic":
            w.fact("hasExposure", "cause", f"a cckb:{rng.choice(IATROGENIC_EXPOSURES)}")
        elif kind == "calciphylaxis":
            w.fact("hasCondition", "kidney", "a cckb:EndStageRenalDisease")
            w.fact("hasFinding", "vessels", "a cckb:SmallVesselWallCalcification")
            w.fact("hasFinding", "damage", f"a cckb:{rng.choice(['SkinNecrosis', 'SkinUlcer', 'Gangrene'])}")
        yield SyntheticCase(case_id, kind, w.turtle(f"synthetic {kind} case {number}"))


def write(folder: Path, count: int, seed: int = 1, per_file: int = 1000) -> dict[str, str]:
    """Write `count` cases as Turtle files of `per_file` cases each; return case id -> expected kind."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    chunk: list[str] = []
    index = 0
    for case in generate(count, seed):
        expected[f"case:{case.case_id}"] = case.expected
        chunk.append(case.turtle)
        if len(chunk) == per_file:
            (folder / f"synthetic-{index:04d}.ttl").write_text(PREFIXES + "\n".join(chunk), encoding="utf-8")
            chunk, index = [], index + 1
    if chunk:
        (folder / f"synthetic-{index:04d}.ttl").write_text(PREFIXES + "\n".join(chunk), encoding="utf-8")
    return expected
