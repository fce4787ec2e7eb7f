"""Expected results on the five source documents, through the reasoner."""

from __future__ import annotations

from calcinosis_kb.reasoning.classify import Inference

from .conftest import by_case


def subtypes(shipped: Inference, case: str) -> set[str]:
    return set(by_case(shipped)[case]["inferred_subtypes"])  # type: ignore[arg-type]


def test_all_cases_classified_without_errors(shipped: Inference) -> None:
    assert shipped.errors == []
    assert len(shipped.results) >= 12


def test_carrascosa_is_dystrophic(shipped: Inference) -> None:
    assert subtypes(shipped, "case:carrascosa2011") == {"dystrophic"}
    assert by_case(shipped)["case:carrascosa2011"]["agrees"] is True


def test_bender_is_dystrophic_not_metastatic(shipped: Inference) -> None:
    found = subtypes(shipped, "case:bender2024")
    assert "dystrophic" in found and "metastatic" not in found


def test_mcgillen_is_metastatic_never_calciphylaxis(shipped: Inference) -> None:
    found = subtypes(shipped, "case:mcgillen-nd")
    assert "metastatic" in found and "calciphylaxis" not in found


def test_review_myositis_patients_are_dystrophic(shipped: Inference) -> None:
    for case in ("case:lio2000-polymyositis", "case:lio2000-jdm-girl", "case:lio2000-jdm-boy"):
        assert "dystrophic" in subtypes(shipped, case), case


def test_review_idiopathic_tumoral_calcinosis_is_idiopathic(shipped: Inference) -> None:
    assert subtypes(shipped, "case:lio2000-itc-hands") == {"idiopathic"}
    assert "tumoral" in by_case(shipped)["case:lio2000-itc-hands"]["inferred_patterns"]  # type: ignore[operator]


def test_amonkar_is_undetermined_and_says_what_is_missing(shipped: Inference) -> None:
    result = by_case(shipped)["case:amonkar2022"]
    assert result["inferred_subtypes"] == []
    assert result["status"] == "no authors' subtype"  # the authors name none; kb infers none
    messages = " ".join(str(m["message"]) for m in result["missing"])  # type: ignore[union-attr]
    assert "serum calcium" in messages and "serum phosphate" in messages
    assert "dystrophic predisposing condition" in messages


def test_every_why_names_a_fact_with_a_quote(shipped: Inference) -> None:
    for result in shipped.results:
        for subtype, evidence in result.why.items():
            assert evidence, f"{result.case}: {subtype} inferred but no evidence found"
            for item in evidence:
                assert item["quotes"], f"{result.case}: {subtype} rests on {item['fact']} which has no quote"
