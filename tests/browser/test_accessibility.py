"""Every page, in Welsh and in English, as each role that can see it: no WCAG 2.2 A or AA
violation that axe-core finds.

Pages are reached as a person reaches them, by the links and buttons they would use, found by
accessible name (`tests.browser.names`), so the check follows the pages as they are rebuilt.
Each page's screenshot is saved when asked for (`tests.browser.screens`), and the run ends with a
line counting the pages checked and their violations.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Page, expect

from domain.access import AccessRole
from domain.commitments import review_year_of, uk_day
from domain.vocabulary import MemberRole
from tests.browser.axe import assert_accessible
from tests.browser.browsing import switch_language
from tests.browser.incident_form import fill_new_incident
from tests.browser.names import LANGUAGES, Lang, name
from tests.browser.screens import screenshot
from tests.browser.site import LiveSite
from tests.browser.world import Authority, Incidents, ack_link
from tests.support import MailServer, sign_in

OFFICER = AccessRole.ON_CALL_OFFICER
MEMBER = AccessRole.RESPONSIBLE_MEMBER
ADMIN = AccessRole.AUTHORITY_ADMIN
AUDITOR = AccessRole.AUDITOR
CENTRAL = AccessRole.CENTRAL_TEAM
#: The roles that read an authority's incidents.
READERS = (OFFICER, MEMBER, CENTRAL)


@dataclass(frozen=True)
class Visit:
    """What a visit needs: the page, its language, the site and what is on it."""

    page: Page
    lang: Lang
    site: LiveSite
    authority: Authority
    incidents: Incidents
    mail: MailServer

    async def go(self, path: str) -> None:
        response = await self.page.goto(self.site.origin + path)
        assert response is not None

    async def follow(self, key: str) -> None:
        """Follow the first link with this accessible name."""
        await self.page.get_by_role("link", name=name(key, self.lang)).first.click()
        await self.page.wait_for_load_state()

    async def open_incident(self, reference: str, start: str = "/incidents") -> None:
        await self.go(start)
        await self.page.get_by_role("link", name=reference, exact=True).first.click()
        await self.page.wait_for_load_state()

    async def press(self, key: str) -> None:
        await self.page.get_by_role("button", name=name(key, self.lang)).first.click()
        await self.page.wait_for_load_state()


async def _new_form(visit: Visit) -> None:
    await visit.go("/incidents")
    await visit.follow("report incident link")


async def _form_with_errors(visit: Visit) -> None:
    await _new_form(visit)
    await visit.page.get_by_label(name("title field", visit.lang)).first.fill("")
    await visit.press("form continue")
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _check_answers(visit: Visit) -> None:
    await _new_form(visit)
    page, lang = visit.page, visit.lang
    await fill_new_incident(page, lang, f"rhian@{visit.authority.council.domain}")
    await visit.press("form continue")
    await expect(page.get_by_role("alert")).to_have_count(0)
    heading = page.get_by_role("heading", level=1, name=name("check answers heading", lang))
    if not await heading.count():
        pytest.skip(f"no check-answers page: the form led straight to {page.url}")


async def _status(visit: Visit, which: str) -> None:
    await visit.open_incident(getattr(visit.incidents, which).reference)


async def _ack(visit: Visit) -> None:
    link = await ack_link(
        visit.mail.inbox,
        visit.authority.council,
        MemberRole.EXECUTIVE_MEMBER,
        visit.incidents.notifying.reference,
    )
    assert link.startswith(visit.site.origin), f"the emailed link is not this site's: {link}"
    await visit.page.goto(link)
    button = visit.page.get_by_role("button", name=name("acknowledge button", visit.lang))
    await expect(button).to_be_visible()


async def _not_found(visit: Visit) -> None:
    response = await visit.page.goto(visit.site.origin + "/no-such-page")
    assert response is not None and response.status == 404


async def _signed_in_nav(visit: Visit, key: str) -> None:
    await visit.go("/incidents")
    await visit.follow(key)


async def _audit_incident(visit: Visit) -> None:
    await visit.open_incident(visit.incidents.closed.reference, start="/audit")


async def _sign_in(visit: Visit) -> None:
    """The sign-in page, reached through the header's language switch both ways."""
    await visit.go("/signin")
    await switch_language(visit.page, "en" if visit.lang == "cy" else "cy")
    await switch_language(visit.page, visit.lang)


async def _sign_in_errors(visit: Visit) -> None:
    await visit.go("/signin")
    await visit.press("sign in button")


def _admin(path: str) -> Callable[[Visit], Awaitable[None]]:
    """An administration page of the visitor's own authority."""

    async def go(visit: Visit) -> None:
        await visit.go(f"/admin/{visit.authority.council.code}{path}")

    return go


async def _admin_supplier(visit: Visit) -> None:
    """A supplier's page, from the register's list by its name."""
    await _admin("/suppliers")(visit)
    await visit.page.get_by_role("link", name=visit.authority.supplier, exact=True).click()
    await visit.page.wait_for_load_state()


async def _admin_supplier_retire(visit: Visit) -> None:
    """Asked before the supplier is taken off the register (and left on it)."""
    await _admin_supplier(visit)
    retire = re.compile(
        r"^(Take this supplier off the register|Tynnu'r cyflenwr hwn oddi ar y gofrestr)$"
    )
    await visit.page.get_by_role("link", name=retire).click()
    await visit.page.wait_for_load_state()


async def _admin_suppliers_errors(visit: Visit) -> None:
    """A supplier added with nothing filled in."""
    await _admin("/suppliers")(visit)
    add = re.compile(r"^(Add the supplier|Ychwanegu'r cyflenwr)$")
    await visit.page.get_by_role("button", name=add).click()
    await visit.page.wait_for_load_state()
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _wales_suppliers(visit: Visit) -> None:
    """The suppliers councils share, from the national picture: the two authorities' one."""
    await _wales(visit)
    link = re.compile(r"^(Suppliers councils share|Cyflenwyr y mae cynghorau'n eu rhannu)$")
    await visit.page.get_by_role("link", name=link).click()
    await visit.page.wait_for_load_state()
    acme = re.compile(r"^(Acme Hosting Ltd|ACME HOSTING LIMITED)$")
    await expect(visit.page.get_by_role("heading", name=acme)).to_be_visible()


async def _action_page(visit: Visit) -> None:
    """Recording a submission, on a page of its own (as without JavaScript)."""
    await _status(visit, "reporting")
    incident = visit.page.url.removeprefix(visit.site.origin).split("?")[0].split("#")[0]
    await visit.go(f"{incident}/actions/submission")


async def _new_campaign(visit: Visit) -> None:
    await visit.go("/wales/campaigns")
    await visit.follow("new campaign link")


async def _new_campaign_errors(visit: Visit) -> None:
    await _new_campaign(visit)
    await visit.press("set up campaign button")
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _campaign(visit: Visit) -> None:
    """A campaign set up through its form, with an incident linked into it by reference."""
    await _new_campaign(visit)
    page, lang = visit.page, visit.lang
    await page.get_by_label(name("campaign name field", lang)).first.fill(f"Phishing wave ({lang})")
    await visit.press("set up campaign button")
    field = page.get_by_label(name("incident reference field", lang)).first
    await field.fill(visit.incidents.reporting.reference)
    await visit.press("link incident button")
    await expect(page.get_by_role("link", name=visit.incidents.reporting.reference)).to_be_visible()


async def _campaign_closed(visit: Visit) -> None:
    """A campaign the central team has closed: marked closed, its incident kept, reopening
    offered in place of the forms."""
    await _campaign(visit)
    await visit.press("close campaign button")
    kept = visit.page.get_by_role("link", name=visit.incidents.reporting.reference)
    await expect(kept).to_be_visible()


async def _campaign_panel(visit: Visit) -> None:
    """The linked incident's status page, with its "part of a campaign" panel."""
    await _campaign(visit)
    await visit.page.get_by_role("link", name=visit.incidents.reporting.reference).first.click()
    await visit.page.wait_for_load_state()


async def _wales(visit: Visit) -> None:
    await _signed_in_nav(visit, "wales nav")


async def _wales_performance(visit: Visit) -> None:
    await _wales(visit)
    await visit.follow("performance link")


async def _wales_centre(visit: Visit) -> None:
    await _wales(visit)
    await visit.follow("centre link")


async def _wales_centre_errors(visit: Visit) -> None:
    await _wales_centre(visit)
    await visit.press("add duty recipient button")
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _wales_incidents(visit: Visit) -> None:
    """The incidents behind a figure: Wales's open incidents, from their number."""
    await _wales(visit)
    await visit.follow("wales open incidents")


def _commitments(path: str) -> Callable[[Visit], Awaitable[None]]:
    """A page of the visitor's own authority's commitments."""

    async def go(visit: Visit) -> None:
        await visit.go(f"/commitments/{visit.authority.council.code}{path}")

    return go


async def _commitment_errors(visit: Visit) -> None:
    """The certificate's form sent empty: every problem at once."""
    await _commitments("/a")(visit)
    await visit.press("attest and save")
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


#: The review year under way, whose reviews the visits below open and answer.
REVIEW_YEAR = review_year_of(uk_day(datetime.now(UTC)))


async def _review_ready(visit: Visit, year: int, *, submitted: bool = False) -> None:
    """The visitor's authority's review of `year` opened by its central team member (and
    submitted by its administrator), through the site's own forms, whatever ran before."""
    code = visit.authority.council.code
    async with httpx.AsyncClient(base_url=visit.site.origin) as client:
        steps = [(CENTRAL, "/wales/reviews/open", {"authority": code, "year": str(year)})]
        if submitted:
            submission = f"/reviews/{code}/{year}/submission"
            steps.append((ADMIN, submission, {"statement": "As recorded."}))
        for role, action, data in steps:
            person = visit.authority.people[role]
            client.cookies.clear()
            await sign_in(client, person.email, person.password)
            page = await client.get("/signout")
            csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            await client.post(action, data={"csrf_token": csrf, **data})


def _review(year: int, *, submitted: bool = False) -> Callable[[Visit], Awaitable[None]]:
    async def go(visit: Visit) -> None:
        await _review_ready(visit, year, submitted=submitted)
        await visit.go(f"/reviews/{visit.authority.council.code}/{year}")

    return go


async def _review_errors(visit: Visit) -> None:
    """The review submitted without a statement."""
    await _review(REVIEW_YEAR)(visit)
    await visit.press("submit review button")
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


def _post_incident(path: str = "") -> Callable[[Visit], Awaitable[None]]:
    """The closed incident's post-incident review (started when it closed), or its report."""

    async def go(visit: Visit) -> None:
        await visit.go(f"/incidents/{visit.incidents.closed.id}/review{path}")

    return go


async def _post_incident_errors(visit: Visit) -> None:
    """An action added with nothing filled in."""
    await _post_incident()(visit)
    add = re.compile(r"^(Add the action|Ychwanegu'r cam gweithredu)$")
    await visit.page.get_by_role("button", name=add).click()
    await visit.page.wait_for_load_state()
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _statement_made(visit: Visit, *, whole: bool = True, published: bool = False) -> str:
    """A public statement about the acknowledged incident, drafted by its officer (whole in
    both languages and marked TLP:CLEAR, or in English alone) and published by its executive
    member, through the site's own forms; its page's path."""
    base = f"/incidents/{visit.incidents.reporting.id}/statements"
    draft = {"title_en": "Swimming cancelled", "text_en": "The pool is closed today."}
    if whole:
        draft |= {
            "title_cy": "Nofio wedi'i ganslo",
            "text_cy": "Mae'r pwll ar gau heddiw.",
            "tlp": "TLP:CLEAR",
            "services-0-name_cy": "Nofio",
            "services-0-name_en": "Swimming",
            "services-0-status": "unavailable",
            "services-0-alternative_cy": "Ewch i bwll y Barri.",
            "services-0-alternative_en": "Go to the Barry pool.",
        }
    async with httpx.AsyncClient(base_url=visit.site.origin) as client:
        officer = visit.authority.people[OFFICER]
        await sign_in(client, officer.email, officer.password)
        csrf = (await client.get(base)).text.split('name="csrf_token" value="')[1].split('"')[0]
        started = await client.post(base, data={"csrf_token": csrf, "title_en": "Swimming"})
        path = started.headers["location"]
        await client.post(path, data={"csrf_token": csrf, **draft})
        if published:
            member = visit.authority.people[MEMBER]
            client.cookies.clear()
            await sign_in(client, member.email, member.password)
            page = await client.get(path)
            csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            await client.post(f"{path}/publish", data={"csrf_token": csrf})
    return path


async def _statements(visit: Visit) -> None:
    """The incident's statements, from its status page."""
    await _status(visit, "reporting")
    link = re.compile(r"^(Public statements|Datganiadau cyhoeddus)$")
    await visit.page.get_by_role("link", name=link).first.click()
    await visit.page.wait_for_load_state()


async def _statements_errors(visit: Visit) -> None:
    """A new statement started with no title."""
    await _statements(visit)
    start = re.compile(r"^(Start the statement|Dechrau'r datganiad)$")
    await visit.page.get_by_role("button", name=start).click()
    await visit.page.wait_for_load_state()
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


def _statement(*, published: bool = False) -> Callable[[Visit], Awaitable[None]]:
    async def go(visit: Visit) -> None:
        await visit.go(await _statement_made(visit, published=published))

    return go


async def _statement_refused(visit: Visit) -> None:
    """A statement in English alone, which its approver tries to publish."""
    await visit.go(await _statement_made(visit, whole=False))
    publish = re.compile(r"^(Publish the statement|Cyhoeddi'r datganiad)$")
    await visit.page.get_by_role("button", name=publish).click()
    await visit.page.wait_for_load_state()
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _public(visit: Visit) -> None:
    """The council's public page, with a statement published on it."""
    await _statement_made(visit, published=True)
    await visit.go(f"/public/{visit.authority.council.code}")


async def _evidence(visit: Visit) -> None:
    """The acknowledged incident's evidence (a file and its hand-over), from its status page."""
    await _status(visit, "reporting")
    link = re.compile(r"^(Evidence and its chain of custody|Tystiolaeth a'i chadwyn gadw)$")
    await visit.page.get_by_role("link", name=link).first.click()
    await visit.page.wait_for_load_state()


async def _evidence_errors(visit: Visit) -> None:
    """Files added with none chosen."""
    await _evidence(visit)
    add = re.compile(r"^(Add the files|Ychwanegu'r ffeiliau)$")
    await visit.page.get_by_role("button", name=add).click()
    await visit.page.wait_for_load_state()
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _lessons(visit: Visit) -> None:
    """The authority's lessons list, with the closed incident's findings in it where the
    visitor may record them (through the review's own form)."""
    await _post_incident()(visit)
    cause = visit.page.get_by_label(re.compile(r"Root cause|Achos sylfaenol"))
    if await cause.count():
        await cause.fill("A kiosk left on an unpatched build.")
        save = re.compile(r"^(Save the findings|Cadw'r canfyddiadau)$")
        await visit.page.get_by_role("button", name=save).click()
        await visit.page.wait_for_load_state()
    await visit.go(f"/lessons/{visit.authority.council.code}")
    entry = visit.page.get_by_role("link", name=visit.incidents.closed.reference)
    for _ in range(50):  # the list reads what the review's process has recorded
        if await entry.count():
            break
        await visit.page.wait_for_timeout(100)
        await visit.page.reload()
    await expect(entry).to_be_visible()


async def _complaint_recorded(visit: Visit) -> str:
    """A complaint recorded through its form by the visitor's authority's officer; its page's
    path."""
    async with httpx.AsyncClient(base_url=visit.site.origin) as client:
        officer = visit.authority.people[OFFICER]
        await sign_in(client, officer.email, officer.password)
        page = await client.get("/complaints/new")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        recorded = await client.post(
            "/complaints/new",
            data={
                "csrf_token": csrf,
                "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
                "received_how": "letter",
                "summary": "Says their council tax record was shown to a neighbour.",
            },
        )
        assert recorded.status_code == 303, recorded.text
    return str(recorded.headers["location"])


async def _breaches(visit: Visit) -> None:
    """The breach register, with a complaint in it, from the incident list."""
    await _complaint_recorded(visit)
    await visit.go("/incidents")
    register = re.compile(
        r"^(Breach register and data-protection complaints|"
        r"Y gofrestr achosion o dorri data a chwynion diogelu data)$"
    )
    await visit.page.get_by_role("link", name=register).click()
    await visit.page.wait_for_load_state()


async def _complaint_new(visit: Visit) -> None:
    """The form that records a data-protection complaint, from the breach register."""
    await _breaches(visit)
    record = re.compile(r"^(Record a complaint|Cofnodi cwyn)$")
    await visit.page.get_by_role("link", name=record).click()
    await visit.page.wait_for_load_state()


async def _complaint_new_errors(visit: Visit) -> None:
    """A complaint recorded with nothing filled in."""
    await _complaint_new(visit)
    record = re.compile(r"^(Record the complaint|Cofnodi'r gŵyn)$")
    await visit.page.get_by_role("button", name=record).click()
    await visit.page.wait_for_load_state()
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _complaint(visit: Visit) -> None:
    """A complaint's page (with the forms that acknowledge it and give its outcome, for the
    officer)."""
    await visit.go(await _complaint_recorded(visit))


async def _notice_recorded(visit: Visit) -> str:
    """A supplier's notice recorded through its form by the visitor's authority's officer; its
    page's path."""
    async with httpx.AsyncClient(base_url=visit.site.origin) as client:
        officer = visit.authority.people[OFFICER]
        await sign_in(client, officer.email, officer.password)
        page = await client.get("/notices/new")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        supplier = re.search(r'<option value="(\d+)"', page.text)
        assert supplier is not None, "no supplier on the register to choose"
        recorded = await client.post(
            "/notices/new",
            data={
                "csrf_token": csrf,
                "supplier": supplier.group(1),
                "subject": "Unauthorised access to the hosting platform",
                "text": "Their security team rang: change the service account's password.",
            },
        )
        assert recorded.status_code == 303, recorded.text
    return str(recorded.headers["location"])


_NOTICES = re.compile(r"^(Supplier notices|Hysbysiadau gan gyflenwyr)$")


async def _notices(visit: Visit) -> None:
    """The council's supplier notices, one waiting to be triaged, from the incident list."""
    await _notice_recorded(visit)
    await visit.go("/incidents")
    await visit.page.get_by_role("link", name=_NOTICES).click()
    await visit.page.wait_for_load_state()


async def _notice_new(visit: Visit) -> None:
    """The form that records a notice told by telephone, from the notices' list."""
    await visit.go("/incidents")
    await visit.page.get_by_role("link", name=_NOTICES).click()
    await visit.page.wait_for_load_state()
    record = re.compile(
        r"^(Record a notice you were told of|Cofnodi hysbysiad y cawsoch wybod amdano)$"
    )
    await visit.page.get_by_role("link", name=record).click()
    await visit.page.wait_for_load_state()


async def _notice_new_errors(visit: Visit) -> None:
    """A notice recorded with nothing filled in."""
    await _notice_new(visit)
    record = re.compile(r"^(Record the notice|Cofnodi'r hysbysiad)$")
    await visit.page.get_by_role("button", name=record).click()
    await visit.page.wait_for_load_state()
    await expect(visit.page.get_by_role("alert").first).to_be_visible()


async def _notice(visit: Visit) -> None:
    """A notice's page: for the officer, with the three ways to triage it."""
    await visit.go(await _notice_recorded(visit))


async def _wales_notices(visit: Visit) -> None:
    """Each notice once with every council's triage, from the national picture."""
    await _notice_recorded(visit)
    await visit.go("/wales")
    await visit.page.get_by_role("link", name=_NOTICES).click()
    await visit.page.wait_for_load_state()


async def _wales_notice(visit: Visit) -> None:
    """One notice for the central team, with "Start a campaign"."""
    path = await _notice_recorded(visit)
    await visit.go("/wales" + path)


Go = Callable[[Visit], Awaitable[None]]

#: Each page: how a person reaches it, and who can.
PAGES: dict[str, tuple[Go, tuple[AccessRole | None, ...]]] = {
    "sign-in": (_sign_in, (None,)),
    "sign-in-errors": (_sign_in_errors, (None,)),
    "incident-list": (lambda v: v.go("/incidents"), READERS),
    "new-incident": (_new_form, (OFFICER,)),
    "new-incident-errors": (_form_with_errors, (OFFICER,)),
    "check-answers": (_check_answers, (OFFICER,)),
    "status-notifying": (lambda v: _status(v, "notifying"), READERS),
    "status-reporting": (lambda v: _status(v, "reporting"), (OFFICER,)),
    "status-closed": (lambda v: _status(v, "closed"), (OFFICER,)),
    "acknowledge": (_ack, (None,)),
    "action-submission": (_action_page, (OFFICER,)),
    "administration": (lambda v: _signed_in_nav(v, "administration nav"), (ADMIN,)),
    "admin-members": (_admin("/members"), (ADMIN,)),
    "admin-member": (_admin("/members/executive_member"), (ADMIN,)),
    "admin-policy": (_admin("/policy"), (ADMIN,)),
    "admin-policy-change": (_admin("/policy/change"), (ADMIN,)),
    "admin-reporting": (_admin("/reporting"), (ADMIN,)),
    "admin-reporting-rule": (_admin("/reporting/ico"), (ADMIN,)),
    "admin-users": (_admin("/users"), (ADMIN,)),
    "admin-user-new": (_admin("/users/new"), (ADMIN,)),
    "admin-changes": (_admin("/changes"), (ADMIN,)),
    "account": (lambda v: _signed_in_nav(v, "account nav"), (OFFICER,)),
    "account-language": (lambda v: v.go("/account/language"), (OFFICER,)),
    "account-password": (lambda v: v.go("/account/password"), (OFFICER,)),
    "account-tokens": (lambda v: v.go("/account/tokens"), (ADMIN,)),
    "sign-out": (lambda v: _signed_in_nav(v, "sign out nav"), (OFFICER,)),
    "commitments": (lambda v: _signed_in_nav(v, "commitments nav"), (OFFICER, ADMIN)),
    "commitments-attest-a": (_commitments("/a"), (ADMIN,)),
    "commitments-attest-e": (_commitments("/e"), (ADMIN,)),
    "commitments-attest-f": (_commitments("/f"), (ADMIN,)),
    "commitments-attest-errors": (_commitment_errors, (ADMIN,)),
    "commitments-derived-g": (_commitments("/g"), (OFFICER,)),
    "admin-member-remove": (_admin("/members/executive_member/remove"), (ADMIN,)),
    "audit-list": (lambda v: v.go("/audit"), (AUDITOR,)),
    "audit-incident": (_audit_incident, (AUDITOR,)),
    "not-found": (_not_found, (OFFICER,)),
    "wales": (_wales, (CENTRAL,)),
    "wales-performance": (_wales_performance, (CENTRAL,)),
    "wales-incidents": (_wales_incidents, (CENTRAL,)),
    "wales-centre": (_wales_centre, (CENTRAL,)),
    "wales-centre-errors": (_wales_centre_errors, (CENTRAL,)),
    "campaigns": (lambda v: v.go("/wales/campaigns"), (CENTRAL,)),
    "campaign-new": (_new_campaign, (CENTRAL,)),
    "campaign-new-errors": (_new_campaign_errors, (CENTRAL,)),
    "campaign": (_campaign, (CENTRAL,)),
    "campaign-panel": (_campaign_panel, (CENTRAL,)),
    "campaign-closed": (_campaign_closed, (CENTRAL,)),
    "wales-reviews": (lambda v: v.go(f"/wales/reviews?year={REVIEW_YEAR}"), (CENTRAL,)),
    "review": (_review(REVIEW_YEAR), (ADMIN, CENTRAL)),
    "review-errors": (_review_errors, (ADMIN,)),
    "review-submitted": (_review(REVIEW_YEAR - 1, submitted=True), (CENTRAL,)),
    "wales-report": (lambda v: v.go(f"/wales/report/{REVIEW_YEAR - 1}"), (CENTRAL,)),
    "wales-report-print": (lambda v: v.go(f"/wales/report/{REVIEW_YEAR - 1}/print"), (CENTRAL,)),
    "post-incident-review": (_post_incident(), (OFFICER, MEMBER, CENTRAL)),
    "post-incident-review-errors": (_post_incident_errors, (OFFICER,)),
    "post-incident-report": (_post_incident("/report"), (OFFICER,)),
    "post-incident-report-print": (_post_incident("/report/print"), (OFFICER,)),
    "lessons": (_lessons, (OFFICER, CENTRAL)),
    "wales-lessons": (lambda v: v.go("/wales/lessons"), (CENTRAL,)),
    "statements": (_statements, READERS),
    "statements-errors": (_statements_errors, (OFFICER,)),
    "statement-draft": (_statement(), (OFFICER, MEMBER)),
    "statement-published": (_statement(published=True), (OFFICER, MEMBER, CENTRAL)),
    "statement-publish-refused": (_statement_refused, (MEMBER,)),
    "public-statements": (_public, (None,)),
    "public-not-found": (lambda v: v.go("/public/NONE0"), (None,)),
    "evidence": (_evidence, READERS),
    "evidence-errors": (_evidence_errors, (OFFICER,)),
    "admin-suppliers": (_admin("/suppliers"), (ADMIN,)),
    "admin-suppliers-errors": (_admin_suppliers_errors, (ADMIN,)),
    "admin-supplier": (_admin_supplier, (ADMIN,)),
    "admin-supplier-retire": (_admin_supplier_retire, (ADMIN,)),
    "wales-suppliers": (_wales_suppliers, (CENTRAL,)),
    "breaches": (_breaches, READERS),
    "complaint-new": (_complaint_new, (OFFICER,)),
    "complaint-new-errors": (_complaint_new_errors, (OFFICER,)),
    "complaint": (_complaint, (OFFICER, MEMBER, CENTRAL)),
    "notices": (_notices, READERS),
    "notice-new": (_notice_new, (OFFICER,)),
    "notice-new-errors": (_notice_new_errors, (OFFICER,)),
    "notice": (_notice, (OFFICER, MEMBER, CENTRAL)),
    "wales-notices": (_wales_notices, (CENTRAL,)),
    "wales-notice": (_wales_notice, (CENTRAL,)),
}

CASES = [
    pytest.param(lang, page, role, id=f"{lang}-{page}-{role.value if role else 'anonymous'}")
    for lang in LANGUAGES
    for page, (_, roles) in PAGES.items()
    for role in roles
]


@pytest.mark.parametrize(("lang", "page_name", "role"), CASES)
async def test_page_has_no_accessibility_violations(
    lang: Lang,
    page_name: str,
    role: AccessRole | None,
    page_for: Callable[..., Awaitable[Page]],
    live_site: LiveSite,
    authorities: dict[Lang, Authority],
    incidents: dict[Lang, Incidents],
    mail_server: MailServer,
) -> None:
    page = await page_for(lang, role)
    go, _ = PAGES[page_name]
    await go(Visit(page, lang, live_site, authorities[lang], incidents[lang], mail_server))
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    who = role.value if role else "anonymous"
    # Each page is visited once per language (`conftest.SWEEP_BACKEND`): one set of pictures.
    await screenshot(page, lang, page_name if role in (None, OFFICER) else f"{page_name}-{who}")
    where = f"{page_name} ({lang}, {who}) at {page.url.removeprefix(live_site.origin)}"
    await assert_accessible(page, where)
