"""The sentences the server writes (history lines, names of system actors, the audit
timeline's labels, the workflows' task titles, the API's error messages) are in every
catalog with the same placeholders, like the web UI's own strings
(tests/fast/test_catalogs.py): a sentence added without its translations fails here.
And a request gets them in its caller's language."""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import BaseModel, Field, ValidationError

from domain.errors import IllegalTransition, InvalidInput
from domain.recommendation_rules import ALLOWED_FROM as RECOMMENDATION_ACTIONS
from domain.task import ALLOWED_FROM as TASK_ACTIONS
from domain.values import ImplementationStatus
from projections.views.recommendation_fields import LABELS
from services.api.errors import PYDANTIC_RULES, domain_error_response, validation_problems
from services.api.field_labels import FIELD_LABELS, field_label
from services.application.catalogs import Speech
from services.application.task_titles import FORMS, title_in
from services.application.wording import english
from services.web.i18n import LANGUAGES, messages

ROOT = Path(__file__).parents[2]
SAYING = ("services/application/summaries.py", "services/api/errors.py")
"""Modules whose msgids are the literal first argument of say(...) or msgid(...)."""
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


@cache
def said() -> frozenset[str]:
    found: set[str] = set(LABELS.values()) | set(FORMS) | set(FIELD_LABELS.values())
    found |= {msgid for msgid, _ in PYDANTIC_RULES.values()}
    # the actions an IllegalTransition names, as words (services/api/errors.py)
    found |= {action.replace("_", " ") for action in [*RECOMMENDATION_ACTIONS, *TASK_ACTIONS]}
    files = [ROOT / name for name in SAYING] + sorted((ROOT / "services" / "api").rglob("*.py"))
    files += sorted((ROOT / "domain").rglob("*.py"))
    files += sorted((ROOT / "services" / "application").rglob("*.py"))
    files += sorted((ROOT / "projections").rglob("*.py"))  # the read side's rules
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            if name in ("say", "msgid") and node.args and path.name != "language.py":
                text = _literal(node.args[0])
                if text is not None and path.relative_to(ROOT).as_posix() in SAYING:
                    found.add(text)
            validator = name == "RuleBroken" or (name == "ValueError" and "commands" in path.parts)
            if validator and node.args:
                text = _literal(node.args[0])  # a command validator's rule, said as pydantic's
                if text is not None:
                    found.add(text)
            if name == "InvalidInput" and len(node.args) >= 2:
                text = _literal(node.args[1])  # a rule of the domain or a handler: a msgid
                if text is not None:
                    found.add(text)
            if name == "ApiError" and len(node.args) >= 3:
                text = _literal(node.args[2])
                if text is not None:
                    found.add(text)
    return frozenset(found)


def test_the_extraction_finds_the_servers_sentences() -> None:
    found = said()
    assert "{who} issued it to {authority} on {date}; reply due {due}" in found
    assert "the deadline workflow" in found  # a table's msgid()
    assert "none of your roles ({roles}) may {action}" in found  # an ApiError's
    assert "{kind} {id} does not exist" in found  # a domain error's
    assert "Reply reminder sent" in found  # a timeline label
    assert "must be after the current due date {due}" in found  # a domain rule with values
    assert "a withdrawal must say why" in found  # a domain rule
    assert "names a recommendation twice" in found  # a handler's rule
    assert "{day} is already recorded as a closure day" in found  # a rule once an f-string
    assert "must be one of {allowed}" in found  # a read side's rule (projections)
    assert "unknown criteria: {names}" in found  # a command validator's RuleBroken
    assert "must not contain the NUL character" in found  # a command validator's ValueError
    assert "must be less than or equal to {limit}" in found  # pydantic's, PYDANTIC_RULES
    assert "New due date" in found  # a field's label
    assert len(found) > 100


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_server_sentence_is_translated(lang: str) -> None:
    found = messages(lang)
    missing = sorted(text for text in said() if text not in found)
    assert not missing, f"{lang}.po lacks: {missing}"
    for english_text in said():
        translated = found[english_text]
        assert isinstance(translated, str)
        assert set(_PLACEHOLDER.findall(translated)) == set(_PLACEHOLDER.findall(english_text)), (
            lang,
            english_text,
        )


def test_a_sentence_is_said_in_the_language_with_its_days_as_written_there() -> None:
    msgid = "{who} issued it to {authority} on {date}; reply due {due}"
    values = {"who": "Carla", "authority": "X", "date": date(2026, 3, 1), "due": date(2026, 5, 1)}
    assert Speech("en")(msgid, **values) == english(msgid, **values)
    assert "2026-03-01" in Speech("en")(msgid, **values)
    french = Speech("fr")(msgid, **values)
    assert french.startswith("Carla l'a adressée") and "1 mars 2026" in french
    assert "мая 2026" in Speech("ru")(msgid, **values)


def test_a_workflows_task_title_is_read_back_and_said_again() -> None:
    stored = "letter to minister (level 2): 3 recommendation(s) unanswered since 2026-03-01"
    french = title_in(Speech("fr"))(stored)
    assert french.startswith("courrier à minister (niveau 2)") and "1 mars 2026" in french
    assert title_in(english)(stored) == stored
    own = "Call the prison director"
    assert title_in(Speech("fr"))(own) == own  # a person's own title stays as written


def test_a_domain_error_is_said_in_the_callers_language() -> None:
    refused = domain_error_response(
        InvalidInput("reason", "a withdrawal must say why"), Speech("fr")
    )
    assert json.loads(refused.body) == {
        "code": "invalid_input",
        "message": "Motif : un retrait doit dire pourquoi",
        "field": "reason",
        "rule": "un retrait doit dire pourquoi",
        "problems": [],
    }
    final = IllegalTransition("recommendation", UUID(int=1), "closed", "withdraw", [])
    said = json.loads(domain_error_response(final, Speech("es")).body)["message"]
    assert said.endswith(
        "no se puede retirar; permitido desde «cerrada»: nada (el estado es definitivo)"
    )
    needs = InvalidInput(
        "reason",
        "is required when implementation is {status}",
        status=ImplementationStatus.PARTIALLY_IMPLEMENTED,
    )
    assert needs.rule == "is required when implementation is partially_implemented"
    french = json.loads(domain_error_response(needs, Speech("fr")).body)["rule"]
    assert french == "est obligatoire quand la mise en œuvre est « partiellement mise en œuvre »"
    as_raised = json.loads(domain_error_response(needs, Speech("en")).body)["message"]
    assert as_raised == str(needs)  # English as the domain wrote it, the enum's value included
    english = json.loads(domain_error_response(final).body)["message"]
    assert english == str(final)  # English as the domain wrote it


def test_a_field_is_named_by_its_label_and_a_path_by_its_innermost_name() -> None:
    french = Speech("fr")
    assert field_label("new_due", french) == "Nouvelle échéance"
    assert field_label("escalation_ladder[0].wait_days", french) == "Jours d'attente"
    assert field_label("visit_ids.1", french) == "Visites"
    assert field_label("Idempotency-Key", french) == "Idempotency-Key"  # a header as named


def test_pydantics_rarer_errors_are_said_in_the_language_with_their_limit() -> None:
    class Limits(BaseModel):
        level: int = Field(le=5)
        urgent: bool

    with pytest.raises(ValidationError) as refused:
        Limits.model_validate({"level": 9, "urgent": "maybe"})
    errors = list(refused.value.errors())
    said = validation_problems(errors, Speech("ru"))
    assert [(p.field, p.rule) for p in said] == [
        ("level", "должно быть не больше 5"),
        ("urgent", "должно быть истинным или ложным (true или false)"),
    ]
    english = validation_problems(errors)
    assert english[0].rule == "Input should be less than or equal to 5"  # pydantic's, as before
