"""The Concordat's commitments a-g: the rules on known dates, attesting them through the API and
the pages (checked alike, recorded, bilingual), who may read and who may attest, and the two
commitments worked out from what Concordat already knows."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.access import AccessRole
from domain.commitments import (
    ActiveCyberDefence,
    CispRegistration,
    ClearanceGroup,
    Commitment,
    CommitmentStatus,
    CyberEssentialsPlus,
    RiskReview,
    SecurityClearances,
    SignificantIncident,
    certificate_reminder_points,
    certificate_status,
    cisp_status,
    clearance_status,
    defence_tools_status,
    named_members_status,
    ncsc_reporting_status,
    review_year_of,
    review_year_span,
    risk_status,
    uk_day,
)
from domain.obligations import Body, ObligationState
from domain.vocabulary import MemberRole, NcscCategory
from models import ObligationRecord
from runtime.database import Database
from services.administration import changes_of
from services.commitments import (
    all_authorities_statuses,
    certificate_workflow_id,
    commitment_statuses,
    status_of,
)
from services.tokens import issue_token
from tests.support import CouncilUnderTest, make_authority, make_user, open_test_incident, sign_in

S = CommitmentStatus
DAY = date(2026, 11, 30)


def certificate(
    issued: date, expires: date, number: str = "IASME-CEP-012345"
) -> CyberEssentialsPlus:
    return CyberEssentialsPlus(
        certificate_number=number,
        certifying_body="IASME Consortium",
        issued_on=issued,
        expires_on=expires,
    )


# --- The rules, on known dates ------------------------------------------------------------------


def test_a_certificate_is_met_until_its_last_month_and_not_met_from_the_day_after_expiry() -> None:
    held = certificate(date(2026, 3, 31), date(2027, 3, 30))
    assert certificate_status(None, DAY) is S.UNKNOWN
    assert certificate_status(held, date(2027, 2, 27)) is S.MET
    assert certificate_status(held, date(2027, 2, 28)) is S.AT_RISK  # 30 days left
    assert certificate_status(held, date(2027, 3, 30)) is S.AT_RISK  # its last day
    assert certificate_status(held, date(2027, 3, 31)) is S.NOT_MET


def test_a_certificate_expires_after_it_was_issued_and_within_12_months() -> None:
    certificate(date(2028, 2, 29), date(2029, 2, 28))  # a leap day's year
    with pytest.raises(ValidationError, match="expires_on must be after issued_on"):
        certificate(date(2026, 5, 1), date(2026, 5, 1))
    with pytest.raises(ValidationError, match="no more than 12 months"):
        certificate(date(2026, 5, 1), date(2027, 5, 3))
    with pytest.raises(ValidationError, match="2000 or later"):
        certificate(date(1999, 5, 1), date(2000, 4, 1))


def test_the_risk_is_at_risk_after_the_interval_and_not_met_after_two() -> None:
    review = RiskReview(register_entry="Cyber attack", last_considered_on=date(2026, 6, 1))
    assert risk_status(None, DAY) is S.UNKNOWN
    assert risk_status(review, date(2026, 11, 30)) is S.MET  # 182 days: the default interval
    assert risk_status(review, date(2026, 12, 1)) is S.AT_RISK
    assert risk_status(review, date(2027, 5, 31)) is S.AT_RISK
    assert risk_status(review, date(2027, 6, 1)) is S.NOT_MET
    assert risk_status(review, date(2026, 9, 1), interval_days=90) is S.AT_RISK


def test_cisp_tools_and_clearances_on_known_dates() -> None:
    assert cisp_status(None, DAY) is S.UNKNOWN
    cisp = CispRegistration(organisation_name="Cardiff Council", registered_on=date(2019, 5, 1))
    assert cisp_status(cisp, DAY) is S.MET

    assert defence_tools_status(None, DAY) is S.UNKNOWN
    assert defence_tools_status(ActiveCyberDefence(tools=[]), DAY) is S.AT_RISK
    used = ActiveCyberDefence.model_validate(
        {"tools": [{"tool": "web_check", "adopted_on": "2024-01-02"}]}
    )
    assert defence_tools_status(used, DAY) is S.MET
    for wrong in ("carrier_pigeon", "web_check"):
        tools = [
            {"tool": "web_check", "adopted_on": "2024-01-02"},
            {"tool": wrong, "adopted_on": "2024-01-02"},
        ]
        with pytest.raises(ValidationError):
            ActiveCyberDefence.model_validate({"tools": tools})

    def held(*expiries: date) -> SecurityClearances:
        return SecurityClearances(
            clearances=[ClearanceGroup(level="sc", holders=2, expires_on=e) for e in expiries]
        )

    assert clearance_status(None, DAY) is S.UNKNOWN
    assert clearance_status(held(), DAY) is S.NOT_MET
    assert clearance_status(held(DAY - timedelta(days=1)), DAY) is S.NOT_MET
    assert clearance_status(held(DAY + timedelta(days=91)), DAY) is S.MET
    assert clearance_status(held(DAY + timedelta(days=90)), DAY) is S.AT_RISK
    assert (
        clearance_status(held(DAY + timedelta(days=400), DAY - timedelta(days=1)), DAY) is S.AT_RISK
    )


def test_clearances_are_counts_never_names() -> None:
    with pytest.raises(ValidationError, match="never a name"):
        SecurityClearances.model_validate(
            {
                "clearances": [
                    {"level": "sc", "holders": 1, "expires_on": "2027-01-01", "name": "Rhys"}
                ]
            }
        )
    with pytest.raises(ValidationError, match="never a name"):
        SecurityClearances.model_validate({"clearances": [], "holders": ["Rhys Jones"]})
    with pytest.raises(ValidationError):
        ClearanceGroup.model_validate(
            {"level": "sc", "holders": "Rhys Jones", "expires_on": "2027-01-01"}
        )


def test_named_members_are_met_only_with_both_roles_filled() -> None:
    both = {MemberRole.EXECUTIVE_MEMBER: "Cllr Huw", MemberRole.SENIOR_MANAGEMENT_MEMBER: "Siân"}
    assert named_members_status(both) is S.MET
    assert named_members_status(both | {MemberRole.EXECUTIVE_MEMBER: None}) is S.NOT_MET


def _incident(
    state: ObligationState | None, *, late: bool = False, deadline: datetime | None = None
) -> SignificantIncident:
    return SignificantIncident(
        incident_id="0b0e4f6a-0000-4000-8000-000000000001",
        reference="CDF-2026-0001",
        category=NcscCategory.SIGNIFICANT,
        significant=False,
        aware_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
        ncsc_state=state,
        deadline=deadline,
        late=late,
    )


def test_significant_incidents_reported_in_time_late_or_not_at_all() -> None:
    today = date(2026, 6, 2)
    in_time = _incident(ObligationState.SUBMITTED)
    late = _incident(ObligationState.SUBMITTED, late=True)
    told_by_phone = _incident(ObligationState.WAIVED)
    due_today = _incident(ObligationState.DUE, deadline=datetime(2026, 6, 2, 17, tzinfo=UTC))
    overdue = _incident(ObligationState.OVERDUE, deadline=datetime(2026, 6, 1, 10, tzinfo=UTC))
    never_asked = _incident(None)
    assert ncsc_reporting_status([], today) is S.MET
    assert ncsc_reporting_status([in_time, told_by_phone, due_today], today) is S.MET
    assert ncsc_reporting_status([in_time, late], today) is S.AT_RISK
    assert ncsc_reporting_status([late, overdue], today) is S.NOT_MET
    assert ncsc_reporting_status([never_asked], today) is S.NOT_MET
    assert due_today.outcome(date(2026, 6, 3)) == "unreported"


def test_the_review_year_runs_april_to_march_in_uk_time() -> None:
    assert review_year_of(date(2027, 3, 31)) == 2026
    assert review_year_of(date(2027, 4, 1)) == 2027
    start, end = review_year_span(2026)
    # Midnight on 1 April is BST: 23:00 UTC the evening before.
    assert start.astimezone(UTC) == datetime(2026, 3, 31, 23, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 3, 31, 23, tzinfo=UTC)


def test_reminders_fall_at_nine_on_their_days_then_the_day_after_expiry() -> None:
    points = certificate_reminder_points(date(2027, 3, 31))
    assert [(p.name, p.day) for p in points] == [
        ("90", date(2026, 12, 31)),
        ("30", date(2027, 3, 1)),
        ("7", date(2027, 3, 24)),
        ("expired", date(2027, 4, 1)),
    ]
    assert points[-1].at.astimezone(UTC) == datetime(2027, 4, 1, 8, tzinfo=UTC)  # 09:00 BST


# --- Attesting through the API ------------------------------------------------------------------


async def _token(
    database: Database, council: CouncilUnderTest | None, role: AccessRole, **details: Any
) -> dict[str, str]:
    user, _ = await make_user(database, council, role, **details)
    async with database.session() as session:
        _, token = await issue_token("tests", authority_id=None, user_id=user.id, session=session)
    return {"Authorization": f"Bearer {token}"}


def _today() -> date:
    return uk_day(datetime.now(UTC))


async def test_the_senior_management_member_attests_and_an_officer_reads_but_cannot(
    http: httpx.AsyncClient, database: Database, dev_server: WorkflowEnvironment
) -> None:
    council = await make_authority(database)
    senior = await _token(
        database,
        council,
        AccessRole.RESPONSIBLE_MEMBER,
        name="Siân Senior",
        member_role=MemberRole.SENIOR_MANAGEMENT_MEMBER,
    )
    officer = await _token(database, council, AccessRole.ON_CALL_OFFICER)
    elsewhere = await _token(database, await make_authority(database), AccessRole.AUTHORITY_ADMIN)
    base = f"/api/authorities/{council.code}/commitments"
    issued = _today() - timedelta(days=30)
    body = {
        "certificate_number": "IASME-CEP-000042",
        "certifying_body": "IASME Consortium",
        "issued_on": issued.isoformat(),
        "expires_on": (issued + timedelta(days=365)).isoformat(),
    }

    saved = await http.put(f"{base}/a", json=body, headers=senior)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "met" and saved.json()["attested_by"] == "Siân Senior"
    assert (await http.put(f"{base}/a", json=body, headers=officer)).status_code == 403
    assert (await http.get(base, headers=elsewhere)).status_code == 404
    assert (await http.put(f"{base}/a", json=body, headers=elsewhere)).status_code == 404

    # A renewed certificate restarts the reminders with its own dates; the old run ends.
    reminders = dev_server.client.get_workflow_handle(certificate_workflow_id(council.code))
    first = await reminders.describe()
    renewed = body | {"certificate_number": "IASME-CEP-000043"}
    assert (await http.put(f"{base}/a", json=renewed, headers=senior)).status_code == 200
    second = await reminders.describe()
    assert second.run_id != first.run_id and second.status is WorkflowExecutionStatus.RUNNING
    ended = dev_server.client.get_workflow_handle(reminders.id, run_id=first.run_id)
    assert (await ended.describe()).status is WorkflowExecutionStatus.TERMINATED

    read = await http.get(base, headers=officer)
    assert read.status_code == 200
    views = {view["commitment"]: view for view in read.json()}
    assert list(views) == [c.value for c in Commitment]
    assert views["a"]["evidence"]["certificate_number"] == "IASME-CEP-000043"
    assert views["b"]["status"] == "unknown" and views["b"]["attested_by"] is None
    assert views["c"]["status"] == "met" and views["g"]["status"] == "met"

    tomorrow = (_today() + timedelta(days=1)).isoformat()
    future = await http.put(
        f"{base}/b",
        json={"register_entry": "Cyber attack on council systems", "last_considered_on": tomorrow},
        headers=senior,
    )
    assert future.status_code == 422 and "last_considered_on" in future.json()["detail"]
    named = await http.put(
        f"{base}/f",
        json={
            "clearances": [{"level": "sc", "holders": 2, "expires_on": tomorrow, "name": "Rhys"}]
        },
        headers=senior,
    )
    assert named.status_code == 422 and "never a name" in named.text
    assert (await http.put(f"{base}/c", json={}, headers=senior)).status_code == 404

    async with database.session() as session:
        renewal, change = await changes_of(council.id, session=session)
    assert change.subject == "commitment:a" and change.actor == "Siân Senior"
    assert change.changes["certificate_number"] == [None, "IASME-CEP-000042"]
    assert renewal.changes["certificate_number"] == ["IASME-CEP-000042", "IASME-CEP-000043"]


# --- Attesting through the pages ----------------------------------------------------------------


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _date(name: str, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


async def test_the_pages_explain_each_problem_in_both_languages_and_save_what_is_right(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database)
    admin, password = await make_user(
        database, council, AccessRole.AUTHORITY_ADMIN, name="Alys Admin"
    )
    assert (await sign_in(http, admin.email, password)).status_code == 303
    own = await http.get("/commitments")
    assert own.status_code == 303 and own.headers["location"] == f"/commitments/{council.code}"

    path = f"/commitments/{council.code}/a"
    form = await http.get(path)
    assert form.status_code == 200 and 'lang="cy"' in form.text
    issued = _today() - timedelta(days=10)
    wrong = {
        "csrf_token": _csrf(form.text),
        "certificate_number": "IASME-CEP-777",
        "certifying_body": "IASME Consortium",
        **_date("issued_on", issued),
        **_date("expires_on", issued - timedelta(days=1)),
    }
    welsh = await http.post(path, data=wrong)
    assert welsh.status_code == 422 and "Mae problem" in welsh.text
    assert 'href="#expires_on-day"' in welsh.text and "IASME-CEP-777" in welsh.text
    http.cookies.set("concordat_language", "en")
    english = await http.post(
        path, data=wrong | _date("issued_on", issued) | {"issued_on-month": "13"}
    )
    assert english.status_code == 422
    assert "Date issued must be a real date" in html.unescape(english.text)

    right = wrong | _date("expires_on", issued + timedelta(days=365))
    saved = await http.post(path, data=right)
    assert saved.status_code == 303 and saved.headers["location"] == f"/commitments/{council.code}"
    overview = await http.get(saved.headers["location"])
    text = html.unescape(overview.text)
    assert "Commitment a has been attested" in text and "IASME-CEP-777" in text
    assert "Alys Admin on" in text and "govuk-tag--green" in overview.text

    tools = await http.post(
        f"/commitments/{council.code}/e",
        data={"csrf_token": _csrf(form.text), "tool-protective_dns": "yes", "tool-web_check": "yes"}
        | _date("adopted-protective_dns", date(2023, 4, 3)),
    )
    assert tools.status_code == 422
    assert "Enter the date you started using Web Check" in html.unescape(tools.text)
    clearances = await http.post(
        f"/commitments/{council.code}/f",
        data={
            "csrf_token": _csrf(form.text),
            "clearance-1-level": "sc",
            "clearance-1-holders": "Rhys Jones",
        }
        | _date("clearance-1-expires_on", _today() + timedelta(days=300)),
    )
    assert clearances.status_code == 422 and "as a whole number" in clearances.text

    derived = await http.get(f"/commitments/{council.code}/g")
    assert derived.status_code == 200 and "no significant incidents" in derived.text

    # Leaving a named role empty, asked first, breaks commitment c (the mail it sends is in
    # test_certificate_reminders).
    member = await http.get(f"/admin/{council.code}/members/senior_management_member")
    remove = f"/admin/{council.code}/members/senior_management_member/remove"
    assert f'href="{remove}"' in member.text
    asked = await http.get(remove)
    assert "the commitment is not met" in asked.text
    removed = await http.post(remove, data={"csrf_token": _csrf(asked.text)})
    assert removed.status_code == 303
    assert "is no longer named in the role" in (await http.get(removed.headers["location"])).text

    async with database.session() as session:
        views = await commitment_statuses(council.id, session=session, today=_today())
    assert status_of(views, Commitment.A) is S.MET and status_of(views, Commitment.C) is S.NOT_MET
    assert status_of(views, Commitment.E) is S.UNKNOWN

    # The central team reads every authority's commitments, from a list, and attests none.
    central, password = await make_user(
        database, None, AccessRole.CENTRAL_TEAM, all_authorities=True
    )
    assert (await sign_in(http, central.email, password)).status_code == 303
    listing = await http.get("/commitments")
    assert listing.status_code == 200 and f'href="/commitments/{council.code}"' in listing.text
    assert (await http.get(f"/commitments/{council.code}")).status_code == 200
    assert (await http.get(f"/commitments/{council.code}/a")).status_code == 403


# --- Commitment g, from the incidents -----------------------------------------------------------


async def test_significant_incidents_of_the_review_year_decide_commitment_g(
    database: Database,
) -> None:
    council = await make_authority(database)
    now = datetime.now(UTC)
    today = uk_day(now)

    async def incident(state: ObligationState | None, late: bool = False, **fields: Any) -> None:
        row = await open_test_incident(
            database,
            council,
            aware_at=now - timedelta(hours=3),
            detected_at=now - timedelta(hours=4),
            **fields,
        )
        if state is not None:
            async with database.session() as session:
                session.add(
                    ObligationRecord(
                        incident_id=row.id,
                        body=Body.NCSC,
                        state=state,
                        deadline=now - timedelta(hours=1),
                        submitted_at=now if state is ObligationState.SUBMITTED else None,
                        late=late,
                    )
                )
                await session.commit()

    async def g() -> CommitmentStatus:
        async with database.session() as session:
            return status_of(
                await commitment_statuses(council.id, session=session, today=today), Commitment.G
            )

    await incident(None, category=NcscCategory.SUBSTANTIAL)  # below the threshold: not counted
    await incident(None, category=NcscCategory.SIGNIFICANT, exercise=True)  # an exercise
    assert await g() is S.MET
    await incident(ObligationState.SUBMITTED, category=NcscCategory.SIGNIFICANT)
    await incident(ObligationState.SUBMITTED, late=True, significant=True)
    assert await g() is S.AT_RISK
    await incident(ObligationState.OVERDUE, category=NcscCategory.HIGHLY_SIGNIFICANT)
    assert await g() is S.NOT_MET

    async with database.session() as session:
        every = await all_authorities_statuses(session=session, today=today)
        one = await commitment_statuses(council.id, session=session, today=today)
    assert len(every) >= 22 and all(len(views) == 7 for views in every.values())
    assert every[council.id] == one
    (reporting,) = [view for view in one if view.commitment is Commitment.G]
    assert [i["outcome"] for i in reporting.evidence["incidents"]] == [
        "in_time",
        "late",
        "unreported",
    ]
