"""Links that do not answer (workflow/link_liveness.py): which addresses a body
cites, which are due for a fetch, the warnings they become among the other
findings, and a round over the fake unit of work; and which hosts the worker
never asks (bot/liveness.public)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.liveness import public
from handlers import texts
from tests.unit.fakes import FakeUnitOfWork
from workflow import link_liveness as links
from workflow.checks import Code, Revision, Severity, check
from workflow.kept_images import placeholder
from workflow.link_liveness import LinkStatus
from workflow.model import ContentItem
from workflow.revision_checks import brief
from workflow.states import State

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
HOUR = timedelta(minutes=30)
BODY = ('<p>见<a href="https://mp.weixin.qq.com/s/abc">往期</a>和报告[1]。</p>'
        f'<figure><img src="{placeholder("b" * 64)}" alt="照片"></figure>'
        '<section><p>参考资料</p><p>[1] 年报: https://example.org/report.pdf。</p>'
        '<p>邮件 <a href="mailto:a@b.org">a@b.org</a></p></section>')


def test_a_body_cites_its_links_and_its_references_not_its_kept_images() -> None:
    assert list(links.addresses(BODY)) == ["https://mp.weixin.qq.com/s/abc",
                                           "https://example.org/report.pdf"]


def test_an_address_checked_within_the_interval_is_not_due() -> None:
    known = {"https://a.org": LinkStatus("https://a.org", "ok", NOW - HOUR + timedelta(1)),
             "https://b.org": LinkStatus("https://b.org", "404", NOW - HOUR)}
    urls = ["https://a.org", "https://b.org", "https://c.org", "https://c.org"]
    assert links.due(urls, known, NOW, HOUR) == ("https://b.org", "https://c.org")


def test_dead_links_become_warnings_in_place_and_replace_the_last_ones() -> None:
    result = check(Revision(title="年报", body=BODY, has_cover=True))
    statuses = {"https://mp.weixin.qq.com/s/abc": "ok",
                "https://example.org/report.pdf": "timeout"}
    [dead] = links.findings(BODY, statuses)
    assert dead.code is Code.LINK_DEAD and dict(dead.data) == {
        "url": "https://example.org/report.pdf", "status": "timeout"}
    assert "年报" in dead.excerpt
    merged = links.merged(result, [dead])
    assert merged.codes() - result.codes() == {Code.LINK_DEAD}
    assert merged.refused == result.refused  # a warning refuses nothing
    severities = [f.severity for f in merged.findings]
    assert severities == sorted(severities, key=list(type(severities[0])).index)
    assert links.merged(merged, []) == result
    assert not links.findings(BODY, {"https://example.org/report.pdf": "blocked"})


def item(item_id: int, state: State, body: str, revision: int = 1) -> ContentItem:
    return ContentItem(id=item_id, title="稿件", author_id=1, state=state, body=body,
                       revision=revision)


def test_a_round_asks_each_address_once_and_shares_the_answer() -> None:
    uow = FakeUnitOfWork([])
    uow.items.rows = {1: item(1, State.IN_REVIEW, BODY), 2: item(2, State.SCHEDULED, BODY),
                      3: item(3, State.DRAFTING, '<a href="https://x.org">草稿</a>')}
    for key in ((1, 1), (2, 1)):
        uow.checks.rows[key] = check(Revision(title="年报", body=BODY, has_cover=True))
    planned = links.plan(uow, NOW, HOUR)
    assert planned.due == ("https://mp.weixin.qq.com/s/abc", "https://example.org/report.pdf")
    fresh = {"https://mp.weixin.qq.com/s/abc": "ok", "https://example.org/report.pdf": "404"}
    assert links.record(uow, planned, fresh, NOW) == 2
    assert all(Code.LINK_DEAD in uow.checks.rows[key].codes() for key in ((1, 1), (2, 1)))
    assert len(uow.liveness.rows) == 4
    assert links.plan(uow, NOW + HOUR / 2, HOUR).due == ()  # asked within the interval
    uow.items.rows[4] = item(4, State.APPROVED, BODY)  # a newer article citing them
    again = links.plan(uow, NOW + HOUR / 2, HOUR)
    assert links.record(uow, again, {}, NOW + HOUR / 2) == 0  # no check stored for item 4
    assert uow.liveness.rows[4, 1, "https://example.org/report.pdf"].status == "404"
    assert links.plan(uow, NOW + HOUR, HOUR).due == planned.due


@pytest.mark.parametrize("addresses", [["127.0.0.1"], ["10.1.2.3"], ["::1"], ["fe80::1%eth0"],
                                       ["169.254.169.254"], ["93.184.216.34", "192.168.1.1"],
                                       ["224.0.0.1"], []])
def test_private_loopback_and_unresolved_hosts_are_never_asked(addresses: list[str]) -> None:
    assert not public(addresses)


def test_public_hosts_are_asked() -> None:
    assert public(["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])


def test_dead_links_and_kept_images_are_listed_in_the_brief_not_counted() -> None:
    result = check(Revision(title="年报", body=BODY, has_cover=True))
    found = links.findings(BODY, {"https://example.org/report.pdf": "404"})
    with_dead = links.merged(result, found)
    shown = brief(with_dead)
    assert shown is not None
    assert [f.code for f in shown.notices] == [Code.IMAGE_KEPT, Code.LINK_DEAD]
    assert shown.warnings == len(with_dead.of(Severity.WARNING)) - 2
    said = texts.phrase("checks_brief", "brief", b=shown)
    assert "https://example.org/report.pdf" in said and "HTTP 404" in said and "手动插入" in said
