"""One valid command of every type in the handler table, for the rules that hold for each
of them: an unknown target is NotFound, the business date follows the command's dated
field. `test_every_command_has_a_sample` fails when a command is added without one.

`ref` stands for whatever the command refers to (the earlier recommendation, the
authority, the place, the visit); the samples only run where it exists."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from domain.attachments import Supports
from domain.letters import LetterKind
from domain.task import TaskKind
from domain.values import (
    DOUBLE_SMART_CRITERIA,
    DayKind,
    FollowUpKind,
    ImplementationStatus,
    Language,
    Level,
    PlaceType,
    Position,
    RecommendationKind,
    ReportKind,
    Role,
)
from services.application.commands import (
    deadlines,
    letters,
    mail,
    reconciliation,
    registry,
    tasks,
    users,
)
from services.application.commands import recommendations as rec
from services.application.commands.base import Command
from tests.builders import DAY, LADDER, register_authority_command

LATER = date(2026, 1, 20)
DUE = DAY + timedelta(days=30)

# The recommendation's actions (domain/recommendation.py ALLOWED_FROM) and the command
# that asks for each.
ACTIONS: dict[str, type[Command]] = {
    "record_review": rec.RecordReview,
    "issue": rec.IssueRecommendation,
    "reformulate": rec.Reformulate,
    "reiterate": rec.Reiterate,
    "record_response": rec.RecordResponse,
    "extend_reply_deadline": rec.ExtendReplyDeadline,
    "record_follow_up": rec.RecordFollowUp,
    "assess_implementation": rec.AssessImplementation,
    "verify_implementation": rec.VerifyImplementation,
    "map_stakeholder": rec.MapStakeholder,
    "change_tags": rec.ChangeTags,
    "record_origin": rec.RecordOrigin,
    "record_reply_reminder": rec.RecordReplyReminder,
    "record_reply_deadline_missed": rec.RecordReplyDeadlineMissed,
    "record_escalation": rec.RecordEscalation,
    "record_implementation_overdue": rec.RecordImplementationOverdue,
    "withdraw": rec.WithdrawRecommendation,
    "close": rec.CloseRecommendation,
    "attach_evidence": rec.AttachEvidence,
    "add_comment": rec.AddComment,
    "publish": rec.PublishRecommendation,
}


def samples(ref: UUID) -> dict[type[Command], Command]:
    commands: list[Command] = [
        # recommendations: each valid on a recommendation issued on DAY, where its action
        # is allowed
        rec.DraftRecommendation(
            kind=RecommendationKind.VISIT, text="Open the yard", authority_id=ref
        ),
        rec.RecordReview(criteria=dict.fromkeys(DOUBLE_SMART_CRITERIA, True)),
        rec.IssueRecommendation(issued_on=LATER),
        rec.Reformulate(text="Open the yard every day"),
        rec.Reiterate(earlier_id=ref),
        rec.RecordResponse(received_on=LATER, position=Position.ACCEPTED, text="Agreed"),
        rec.ExtendReplyDeadline(new_due=date(2026, 6, 1)),
        rec.RecordFollowUp(kind=FollowUpKind.LETTER, summary="Wrote to the director"),
        rec.AssessImplementation(status=ImplementationStatus.IMPLEMENTED),
        rec.VerifyImplementation(method="follow-up visit"),
        rec.MapStakeholder(actor="Prison director", power=Level.HIGH, interest=Level.LOW),
        rec.ChangeTags(tags=rec.Tags(keywords=["yard"])),
        rec.RecordOrigin(source="upr", recommending_bodies=["France", "Chile"], sdgs=["16.3"]),
        rec.RecordReplyReminder(due_on=DUE),
        rec.RecordReplyDeadlineMissed(due_on=DUE),
        rec.RecordEscalation(level=1, action="letter", addressee="ministry", obligation_id="wf-1"),
        rec.RecordImplementationOverdue(due_on=date(2026, 6, 1)),
        rec.WithdrawRecommendation(reason="a duplicate"),
        rec.CloseRecommendation(reason="implemented and verified"),
        rec.AttachEvidence(
            sha256="ab" * 32,
            filename="reply.pdf",
            media_type="application/pdf",
            size=1234,
            supports=Supports.RESPONSE,
            index=0,
        ),
        rec.AddComment(text="Called the director: the letter is on its way"),
        rec.PublishRecommendation(),
        # registry
        register_authority_command(),
        registry.ChangeReplyPolicy(
            effective_from=date(2026, 3, 1),
            period_days=20,
            day_kind=DayKind.WORKING,
            urgent_period_days=3,
        ),
        registry.ChangeEscalationLadder(
            effective_from=date(2026, 3, 1), levels=[registry.LadderLevel.of(LADDER[0])]
        ),
        registry.RecordAuthorityContact(
            email="registry@ministry.example",
            postal_address="Ministry of Justice\nRegistry\n1 Main Street",
            language=Language.FR,
        ),
        registry.RegisterPlace(name="Prison A", place_type=PlaceType.PRISON, authority_id=ref),
        registry.RecordVisit(place_id=ref, start_date=DAY, end_date=DAY + timedelta(days=2)),
        registry.RegisterReport(
            kind=ReportKind.VISIT_REPORT,
            title="Visit to Prison A",
            report_date=LATER,
            visit_ids=[ref],
        ),
        registry.SendReport(authority_id=ref, sent_on=LATER),
        registry.RecordClosureDay(
            jurisdiction="DE", day=date(2026, 2, 4), description="Office closed"
        ),
        # tasks
        tasks.OpenTask(
            opened_by="wf-1:reminder",
            kind=TaskKind.SEND_REMINDER,
            title="Send the reminder letter",
            role=Role.CASEWORKER,
            due_on=DUE,
            recommendation_ids=[ref],
            workflow_id="wf-1",
        ),
        tasks.ClaimTask(),
        tasks.CompleteTask(outcome="Letter sent"),
        tasks.ReassignTask(assignee="hedda"),
        tasks.CancelTask(reason="the authority replied"),
        deadlines.RecordEscalationStep(
            workflow_id="wf-1",
            authority_id=ref,
            recommendation_ids=[ref],
            due_on=DUE,
            missed_on=DUE + timedelta(days=1),
            as_of=DUE + timedelta(days=1),
            deadline=deadlines.PassedDeadline.REPLY_MISSED,
            awaiting_reply=True,
            task_kind=TaskKind.SEND_ESCALATION_LETTER,
            task_title="{action} to {addressee} (level {level}): {count} unanswered",
        ),
        # letters
        letters.GenerateLetter(kind=LetterKind.DEADLINE_MISSED, recommendation_ids=[ref]),
        # the reconciliation
        reconciliation.RecordWorkflowRestart(
            workflow_id="obligation-recommendation-x",
            found_run_id="missing",
            found_status="missing",
            recommendation_ids=[ref],
        ),
        # users
        users.CreateUser(username="hedda", display_name="Hedda"),
        users.GrantRole(role=Role.CASEWORKER),
        users.RevokeRole(role=Role.CASEWORKER),
        users.IssueToken(label="cli"),
        users.RevokeToken(token_id="token-1"),
        users.SetUserContact(email="hedda@npm.example.org", language=Language.FR),
        users.DisableUser(),
        # e-mail
        mail.RecordEmailSent(
            key="digest:daily:2026-01-05:hedda",
            purpose="daily_digest",
            message_id="<rectrack.0a1b@npm.example.org>",
            recipients=["hedda@npm.example.org"],
            email_subject="Your tasks",
        ),
        users.SetPassword(password="a long and unusual passphrase"),
        users.EnableTotp(secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        users.DisableTotp(),
        users.LinkIdentity(issuer="https://id.example.org", account="248289761001"),
    ]
    return {type(command): command for command in commands}
