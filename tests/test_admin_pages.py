"""The administration pages: every change checked as the API checks it, explained when it is
wrong, recorded when it is saved, and never reaching another authority."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx

from domain.access import AccessRole
from domain.channels import Channel
from domain.vocabulary import MemberRole
from runtime.database import Database
from services.administration import changes_of
from services.directory import effective_policy, members_of
from services.tokens import issue_token
from services.users import user_by_id
from tests.support import CouncilUnderTest, make_authority, make_user, sign_in

EXECUTIVE = MemberRole.EXECUTIVE_MEMBER


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


async def _administrator(http: httpx.AsyncClient, database: Database) -> CouncilUnderTest:
    council = await make_authority(database, roles=(EXECUTIVE,))
    admin, password = await make_user(
        database, council, AccessRole.AUTHORITY_ADMIN, name="Alys Admin"
    )
    assert (await sign_in(http, admin.email, password)).status_code == 303
    return council


def _member_form(council: CouncilUnderTest, **changes: str) -> dict[str, str]:
    return {
        "name": "Cllr Rhian Jones",
        "work_email": council.email(EXECUTIVE),
        "out_of_band_email": "rhian@personal.example",
        "phone": "029 2087 2087",
        "language": "cy",
    } | changes


def _policy_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """The policy form as the national policy fills it, with the given fields changed."""
    both, email = ["email", "sms"], ["email"]
    form: dict[str, str | list[str]] = {
        "ack_timeout_category_1_3": "15",
        "ack_timeout_category_4": "60",
        "ack_timeout_category_5_6": "240",
        "reminders_before_escalation": "1",
        "delivery_timeout": "5",
        "category_1_3_first": both,
        "category_1_3_reminder": both,
        "category_1_3_escalation": both,
        "category_4_first": email,
        "category_4_reminder": both,
        "category_4_escalation": both,
        "category_5_6_first": email,
        "category_5_6_reminder": email,
        "category_5_6_escalation": email,
    }
    return form | changes


async def test_an_invalid_phone_is_explained_in_either_language_and_nothing_is_saved(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _administrator(http, database)
    path = f"/admin/{council.code}/members/{EXECUTIVE.value}"
    form = await http.get(path)
    assert form.status_code == 200 and 'lang="cy"' in form.text
    fields = _member_form(council, phone="ring the town hall") | {"csrf_token": _csrf(form.text)}

    welsh = await http.post(path, data=fields)
    assert welsh.status_code == 422
    assert "Gwall:" in welsh.text and "Mae problem" in welsh.text
    assert "Rhowch rif ffôn" in welsh.text and 'href="#phone"' in welsh.text
    assert "ring the town hall" in welsh.text  # what was typed is kept to correct

    http.cookies.set("concordat_language", "en")
    english = await http.post(path, data=fields)
    assert english.status_code == 422
    assert "Error:" in english.text and "There is a problem" in english.text
    assert "Enter a telephone number, like 029 2087 2087" in english.text
    assert "pattern" not in english.text  # no validator's jargon

    async with database.session() as session:
        (member,) = await members_of(council.id, session=session)
        assert member.phone is None and member.name != "Cllr Rhian Jones"
        assert await changes_of(council.id, session=session) == []


async def test_a_saved_change_is_in_the_history_with_who_and_before_and_after(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _administrator(http, database)
    path = f"/admin/{council.code}/members/{EXECUTIVE.value}"
    form = await http.get(path)
    before = _member_form(council)["work_email"]
    saved = await http.post(
        path,
        data=_member_form(council, phone="+44 29 2087 2087") | {"csrf_token": _csrf(form.text)},
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("/members")
    listed = await http.get(saved.headers["location"])
    assert "govuk-notification-banner--success" in listed.text
    assert "Mae manylion Cllr Rhian Jones wedi'u cadw" in html.unescape(listed.text)
    assert "+44 29 2087 2087" in listed.text

    http.cookies.set("concordat_language", "en")
    history = await http.get(f"/admin/{council.code}/changes")
    assert history.status_code == 200
    assert "Alys Admin" in history.text and "Executive member" in history.text
    assert "Not set" in history.text and "+44 29 2087 2087" in history.text  # phone before/after
    assert "Cllr Rhian Jones" in history.text and "Welsh" in history.text
    assert before in history.text or "Work email" not in history.text

    async with database.session() as session:
        (change,) = await changes_of(council.id, session=session)
    assert change.subject == "member:executive_member" and change.actor == "Alys Admin"
    assert change.changes["phone"] == [None, "+44 29 2087 2087"]
    assert change.changes["language"] == ["en", "cy"]


async def test_another_authority_is_not_found_and_cannot_be_changed(
    http: httpx.AsyncClient, database: Database
) -> None:
    theirs = await make_authority(database, roles=(EXECUTIVE,))
    their_officer, _ = await make_user(database, theirs)
    await _administrator(http, database)
    assert (await http.get("/admin")).status_code == 200
    csrf = _csrf((await http.get("/account/password")).text)
    for path in (
        f"/admin/{theirs.code}/members",
        f"/admin/{theirs.code}/members/{EXECUTIVE.value}",
        f"/admin/{theirs.code}/policy",
        f"/admin/{theirs.code}/reporting",
        f"/admin/{theirs.code}/users",
        f"/admin/{theirs.code}/changes",
        f"/admin/{theirs.code}/users/{their_officer.id}/disable",
    ):
        assert (await http.get(path)).status_code == 404, path
    posts = {
        f"/admin/{theirs.code}/members/{EXECUTIVE.value}": _member_form(theirs),
        f"/admin/{theirs.code}/policy/change": {"reminders_before_escalation": "3"},
        f"/admin/{theirs.code}/users/{their_officer.id}/disable": {},
    }
    for path, fields in posts.items():
        refused = await http.post(path, data=fields | {"csrf_token": csrf})
        assert refused.status_code == 404, path
    async with database.session() as session:
        (member,) = await members_of(theirs.id, session=session)
        assert member.name != "Cllr Rhian Jones"
        officer = await user_by_id(their_officer.id or 0, session=session)
        assert officer is not None and officer.disabled_at is None
        assert await changes_of(theirs.id, session=session) == []


async def test_an_on_call_officer_may_not_administer(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database, roles=(EXECUTIVE,))
    officer, password = await make_user(database, council, AccessRole.ON_CALL_OFFICER)
    await sign_in(http, officer.email, password)
    assert (await http.get("/admin")).status_code == 403
    assert (await http.get(f"/admin/{council.code}/members")).status_code == 403
    assert 'href="/admin"' not in (await http.get("/account")).text


async def test_policy_rules_and_users_are_changed_and_recorded(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _administrator(http, database)
    http.cookies.set("concordat_language", "en")
    overview = await http.get("/admin")
    assert overview.status_code == 200 and council.authority.name_en in overview.text
    csrf = _csrf((await http.get(f"/admin/{council.code}/policy/change")).text)
    base = f"/admin/{council.code}"

    wrong = await http.post(
        f"{base}/policy/change",
        data={
            "csrf_token": csrf,
            "ack_timeout_category_1_3": "0",
            "ack_timeout_category_4": "",
            "ack_timeout_category_5_6": "240",
            "reminders_before_escalation": "9",
        },
    )
    assert wrong.status_code == 422
    assert wrong.text.count("Enter a whole number of minutes") >= 4  # summary and inline, twice
    assert "Enter a whole number of reminders from 0 to 5" in wrong.text
    policy = await http.post(
        f"{base}/policy/change",
        data=_policy_form(
            csrf_token=csrf, ack_timeout_category_1_3="10", reminders_before_escalation="2"
        ),
    )
    assert policy.status_code == 303
    assert "10 minutes" in (await http.get(f"{base}/policy")).text

    late = await http.post(
        f"{base}/reporting/ico",
        data={"csrf_token": csrf, "enabled": "yes", "window_hours": "72", "owner": "x"},
    )
    assert late.status_code == 422 and "Select who owns this obligation" in late.text
    rule = await http.post(
        f"{base}/reporting/ico",
        data={
            "csrf_token": csrf,
            "enabled": "yes",
            "window_hours": "48",
            "owner": "data_protection_officer",
            "reminder_hours": "12, 24",
        },
    )
    assert rule.status_code == 303
    assert "2 days" in (await http.get(f"{base}/reporting")).text
    assert 'value="12, 24"' in (await http.get(f"{base}/reporting/ico")).text
    assert (await http.get(f"{base}/reporting/nobody")).status_code == 404

    weak = await http.post(
        f"{base}/users/new",
        data={
            "csrf_token": csrf,
            "name": "Owain Officer",
            "email": f"owain@{council.domain}",
            "role": "on_call_officer",
            "password": "short",
        },
    )
    assert weak.status_code == 422 and "at least 12 characters" in weak.text
    national = await http.post(
        f"{base}/users/new",
        data={
            "csrf_token": csrf,
            "name": "Owain Officer",
            "email": f"owain@{council.domain}",
            "role": "central_team",
            "password": "a long and varied password",
        },
    )
    assert national.status_code == 422 and "Select their role" in national.text
    added = await http.post(
        f"{base}/users/new",
        data={
            "csrf_token": csrf,
            "name": "Owain Officer",
            "email": f"owain@{council.domain}",
            "role": "on_call_officer",
            "password": "a long and varied password",
        },
    )
    assert added.status_code == 303
    listed = await http.get(f"{base}/users")
    assert "Owain Officer has been added" in listed.text
    async with database.session() as session:
        records = await changes_of(council.id, session=session)
    owain = int(records[0].subject.removeprefix("user:"))
    confirm = await http.get(f"{base}/users/{owain}/disable")
    assert confirm.status_code == 200 and "Disable Owain Officer" in confirm.text
    disabled = await http.post(f"{base}/users/{owain}/disable", data={"csrf_token": csrf})
    assert disabled.status_code == 303

    history = (await http.get(f"{base}/changes")).text
    for shown in ("Escalation policy", "Reporting rule: the ICO", "User: Owain Officer"):
        assert shown in history
    async with database.session() as session:
        subjects = [c.subject for c in await changes_of(council.id, session=session)]
    assert subjects == [f"user:{owain}", f"user:{owain}", "reporting_rule:ico", "policy"]


async def test_a_change_through_the_api_is_recorded_too(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await make_authority(database, roles=(EXECUTIVE,))
    admin, _ = await make_user(database, council, AccessRole.AUTHORITY_ADMIN, name="Api Admin")
    async with database.session() as session:
        _, token = await issue_token("script", authority_id=None, user_id=admin.id, session=session)
    answer = await http.put(
        f"/api/authorities/{council.code}/policy",
        json={"reminders_before_escalation": 3},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    async with database.session() as session:
        (change,) = await changes_of(council.id, session=session)
    assert change.actor == "Api Admin" and change.actor_user_id == admin.id
    assert change.changes == {"reminders_before_escalation": [None, 3]}


async def test_a_mobile_is_kept_in_one_form_and_shown_so(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _administrator(http, database)
    path = f"/admin/{council.code}/members/{EXECUTIVE.value}"
    form = await http.get(path)
    assert 'name="mobile"' in form.text and "Rhif ffôn symudol" in html.unescape(form.text)
    saved = await http.post(
        path, data=_member_form(council, mobile="07700 900123") | {"csrf_token": _csrf(form.text)}
    )
    assert saved.status_code == 303
    listed = await http.get(saved.headers["location"])
    assert "+447700900123" in listed.text and "07700 900123" not in listed.text
    assert "Ffôn symudol ar gyfer negeseuon testun" in html.unescape(listed.text)
    assert 'value="+447700900123"' in (await http.get(path)).text

    http.cookies.set("concordat_language", "en")
    history = await http.get(f"/admin/{council.code}/changes")
    assert "Mobile for texts" in history.text and "+447700900123" in history.text
    async with database.session() as session:
        (member,) = await members_of(council.id, session=session)
        (change,) = await changes_of(council.id, session=session)
    assert member.mobile == "+447700900123"
    assert change.changes["mobile"] == [None, "+447700900123"]


async def test_a_number_that_is_not_a_uk_mobile_is_refused_in_either_language(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _administrator(http, database)
    path = f"/admin/{council.code}/members/{EXECUTIVE.value}"
    form = await http.get(path)
    fields = _member_form(council, mobile="029 2087 2087") | {"csrf_token": _csrf(form.text)}

    welsh = await http.post(path, data=fields)
    assert welsh.status_code == 422 and 'lang="cy"' in welsh.text
    assert "Rhowch rif ffôn symudol yn y DU, fel 07700 900123" in welsh.text
    assert 'href="#mobile"' in welsh.text and 'value="029 2087 2087"' in welsh.text
    assert "Enter a UK mobile" not in welsh.text

    http.cookies.set("concordat_language", "en")
    english = await http.post(path, data=fields)
    assert english.status_code == 422
    assert "Enter a UK mobile number, like 07700 900123 or +44 7700 900123" in english.text
    assert "Rhowch" not in english.text and "uk_mobile" not in english.text

    async with database.session() as session:
        (member,) = await members_of(council.id, session=session)
        assert member.mobile is None and member.name != "Cllr Rhian Jones"
        assert await changes_of(council.id, session=session) == []


async def test_the_channel_plan_and_delivery_timeout_are_changed_on_the_policy_page(
    http: httpx.AsyncClient, database: Database
) -> None:
    council = await _administrator(http, database)
    base = f"/admin/{council.code}"
    shown = html.unescape((await http.get(f"{base}/policy")).text)
    assert "Sianeli" in shown and "Neges destun" in shown and "Cais cyntaf" in shown
    assert "Dyma'r cynllun cenedlaethol." in shown and "Amser i neges gael ei danfon" in shown
    assert "Microsoft Teams" in shown
    form = await http.get(f"{base}/policy/change")
    assert 'id="category_4_reminder"' in form.text and 'value="teams"' not in form.text
    assert 'name="delivery_timeout"' in form.text and 'value="5"' in form.text
    csrf = _csrf(form.text)

    # A step left without a channel (or with only one not offered) is explained, in Welsh...
    unsent = _policy_form(csrf_token=csrf, category_4_reminder=["teams"], delivery_timeout="0")
    welsh = await http.post(f"{base}/policy/change", data=unsent)
    assert welsh.status_code == 422
    assert "Dewiswch o leiaf un sianel ar gyfer nodiadau atgoffa, categori 4" in welsh.text
    assert 'href="#category_4_reminder"' in welsh.text
    assert "Rhowch nifer cyfan o funudau o 1 i 1440 (1 diwrnod)" in welsh.text
    # ... and in English, and what was ticked is kept to correct.
    http.cookies.set("concordat_language", "en")
    english = await http.post(f"{base}/policy/change", data=unsent)
    assert english.status_code == 422
    assert "Select at least one channel for reminders, category 4" in english.text
    assert "Enter a whole number of minutes from 1 to 1440 (1 day)" in english.text
    assert english.text.count("checked") == 12  # every other box as it was sent
    async with database.session() as session:
        assert await changes_of(council.id, session=session) == []

    saved = await http.post(
        f"{base}/policy/change",
        data=_policy_form(
            csrf_token=csrf,
            delivery_timeout="10",
            category_5_6_first=["sms", "notify_email"],
            category_1_3_escalation=["email", "sms", "notify_email"],
        ),
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("/policy")
    page = html.unescape((await http.get(f"{base}/policy")).text)
    assert "10 minutes" in page and "This is the council's own plan." in page
    assert "Text message, Email through GOV.UK Notify" in page
    async with database.session() as session:
        policy = await effective_policy(council.id, session=session)
        (change,) = await changes_of(council.id, session=session)
    assert policy.delivery_timeout == timedelta(minutes=10)
    assert policy.channels.category_5_6.first == [Channel.SMS, Channel.NOTIFY_EMAIL]
    assert policy.channels.category_1_3.escalation == [
        Channel.EMAIL,
        Channel.SMS,
        Channel.NOTIFY_EMAIL,
    ]
    assert policy.channels.category_4.first == [Channel.EMAIL]
    assert change.subject == "policy"
    assert change.changes["delivery_timeout_seconds"] == [None, 600]
    assert change.changes["channels.category_5_6.first"] == [["email"], ["sms", "notify_email"]]
    assert "channels.category_4.first" not in change.changes  # only what changed is recorded

    history = html.unescape((await http.get(f"{base}/changes")).text)
    assert "Channels for categories 5 and 6: first request" in history
    assert "Text message, Email through GOV.UK Notify" in history
    assert "Time for a message to be delivered" in history and "10 minutes" in history
    http.cookies.set("concordat_language", "cy")
    history = html.unescape((await http.get(f"{base}/changes")).text)
    assert "Sianeli ar gyfer categorïau 5 a 6: cais cyntaf" in history

    # Saving the plan and timings already in effect changes and records nothing more.
    again = await http.post(
        f"{base}/policy/change",
        data=_policy_form(
            csrf_token=csrf,
            delivery_timeout="10",
            category_5_6_first=["sms", "notify_email"],
            category_1_3_escalation=["email", "sms", "notify_email"],
        ),
    )
    assert again.status_code == 303
    async with database.session() as session:
        assert len(await changes_of(council.id, session=session)) == 1
