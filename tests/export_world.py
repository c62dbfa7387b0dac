"""The records the export tests start from: two authorities, a place, and recommendations
that use every column of the import (tags, staff, a response, an assessment with its
reason and verification, a draft, an external id, quotes, commas, line breaks and
non-ASCII text), written through the one executor as a caseworker would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.values import (
    ImplementationStatus,
    NonImplementationReason,
    PlaceType,
    Position,
    RecommendationKind,
)
from services.application.commands.recommendations import (
    AssessImplementation,
    DraftRecommendation,
    Tags,
)
from services.application.commands.registry import RegisterPlace
from tests.builders import Commander, authority, reply

# Words only internal fields hold: an outsider's export must never contain them.
SECRET_STAFF = "Stefan Staffmember"
SECRET_THEME = "hidden-theme"
SECRET_METHOD = "unannounced night visit"
OTHER_TEXT = "OTHER-AUTHORITY: repair the heating"
DRAFT_TEXT = "DRAFT-NOT-ISSUED: improve the food"


@dataclass(frozen=True)
class World:
    justice: UUID
    health: UUID
    prison: UUID
    answered: UUID
    assessed: UUID
    plain: UUID
    draft: UUID
    other: UUID


def build_world(run: Commander, *, several_responses: bool = True) -> World:
    """`several_responses`: the restraint recommendation gets a rejection before its
    acceptance (an export row holds the last response)."""
    justice = authority(run, name="Ministry of Justice")
    health = authority(run, name="Ministère de la Santé")
    prison = run(
        RegisterPlace(name="Nordhafen Prison", place_type=PlaceType.PRISON, authority_id=justice)
    ).aggregate_id

    def draft(
        text: str,
        on: date | None,
        *,
        to: UUID = justice,
        place_id: UUID | None = None,
        themes: list[str] | None = None,
        staff: list[str] | None = None,
        external_id: str | None = None,
        kind: RecommendationKind = RecommendationKind.VISIT,
    ) -> UUID:
        command = DraftRecommendation(
            kind=kind,
            text=text,
            authority_id=to,
            place_id=place_id,
            tags=Tags(themes=themes or [], keywords=["register"], vulnerable_groups=["women"]),
            staff=staff or [],
            issued_on=on,
            external_id=external_id,
        )
        return run(command, on=on or date(2025, 1, 3)).aggregate_id

    answered = draft(
        'Keep a register of every use of restraint, "with times",\nand the reason',
        date(2024, 3, 1),
        place_id=prison,
        themes=["restraint", SECRET_THEME],
        staff=[SECRET_STAFF, "B. Okafor"],
        external_id="SPT-2024-17",
    )
    if several_responses:
        reply(run, answered, date(2024, 3, 20), position=Position.REJECTED, text="Not now.")
    reply(
        run,
        answered,
        date(2024, 4, 10),
        position=Position.ACCEPTED,
        text="Nous introduirons le registre; « bientôt ».",
        agreed_implementation_date=date(2024, 9, 30),
    )
    assessed = draft(
        "Train staff in de-escalation",
        date(2023, 6, 15),
        kind=RecommendationKind.THEMATIC,
        themes=["training"],
    )
    reply(
        run,
        assessed,
        date(2023, 7, 20),
        position=Position.PARTIALLY_ACCEPTED,
        text="Budget allows one course a year.",
        agreed_implementation_date=date(2024, 1, 31),
    )
    run(
        AssessImplementation(
            status=ImplementationStatus.PARTIALLY_IMPLEMENTED,
            non_implementation_reason=NonImplementationReason.BUDGET,
            verified=True,
            verification_method=SECRET_METHOD,
            assessed_on=date(2024, 5, 2),
        ),
        assessed,
        on=date(2024, 5, 2),
    )
    plain = draft("Install call buttons in every cell", date(2025, 2, 1), place_id=prison)
    draft_id = draft(DRAFT_TEXT, None)
    other = draft(OTHER_TEXT, date(2024, 11, 5), to=health)
    return World(justice, health, prison, answered, assessed, plain, draft_id, other)
