"""The old-content review's rules (workflow/old_content.py): the order, the age,
and each reason a published article becomes a candidate, and what a re-check
answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.unit.fakes import FakeOldContent
from workflow import old_content
from workflow.model import ArticleMeta, ContentItem
from workflow.old_content import Facts, Reason
from workflow.recheck import LastCheck, Said, Verdict
from workflow.states import State

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 7)
NOON = datetime(2026, 12, 7, 4, tzinfo=UTC)  # 12:00 in Shanghai


def ago(days: int) -> datetime:
    return NOON - timedelta(days=days)


def facts(item_id: int = 1, published_days: int = 100, expires: date | None = None,
          checked: int | None = None, reads: int | None = None, before: int | None = None,
          complaints: tuple[int, ...] = (), comments: int = 0) -> Facts:
    item = ContentItem(item_id, f"文章{item_id}", author_id=1, state=State.PUBLISHED,
                       published_at=ago(published_days), meta=ArticleMeta(expires_on=expires))
    recheck = LastCheck(ago(checked), Verdict.OK, 4, "李雷") if checked is not None else None
    said = tuple(Said(item_id, ago(d), "写错了", True, n, "message")
                 for n, d in enumerate(complaints, start=1))
    return Facts(item, recheck, reads, before, said, comments)


def reviewed(*found: Facts) -> old_content.Listing:
    view = FakeOldContent()
    view.facts = list(found)
    return old_content.review(view, TODAY, TZ)


def reasons(one: Facts) -> tuple[Reason, ...]:
    return reviewed(one).items[0].reasons


def test_oldest_first_with_the_age_in_days() -> None:
    listing = reviewed(facts(1, 10), facts(2, 400), facts(3, 100))
    assert [(o.item.id, o.age_days) for o in listing.items] == [(2, 400), (3, 100), (1, 10)]


def test_nothing_to_decide_for_a_recent_article() -> None:
    listing = reviewed(facts(1, 30, reads=50, before=60))
    assert listing.candidates == () and listing.figures


def test_an_event_notice_past_its_expiry() -> None:
    assert reasons(facts(expires=TODAY - timedelta(days=1))) == (Reason.EXPIRED,)
    assert reasons(facts(expires=TODAY)) == ()  # still its day
    # Re-checked after it expired: kept knowingly.
    assert reasons(facts(expires=TODAY - timedelta(days=10), checked=5)) == ()
    assert reasons(facts(expires=TODAY - timedelta(days=10), checked=20)) == (Reason.EXPIRED,)


def test_not_rechecked_in_a_year() -> None:
    assert reasons(facts(published_days=400)) == (Reason.STALE,)
    assert reasons(facts(published_days=400, checked=100)) == ()
    assert reasons(facts(published_days=800, checked=366)) == (Reason.STALE,)
    assert reasons(facts(published_days=365)) == ()


def test_complaints_count_since_the_last_recheck() -> None:
    one = reviewed(facts(complaints=(3, 40), checked=10)).items[0]
    assert one.complaints == 1 and one.reasons == (Reason.COMPLAINTS,)
    assert reasons(facts(complaints=(40,), checked=10)) == ()
    assert reviewed(facts(complaints=(3, 40))).items[0].complaints == 2


def test_a_ticket_complains_once_however_many_messages() -> None:
    one = facts(complaints=(3,))
    again = replace(one.complaints[0], at=ago(2))
    assert reviewed(replace(one, complaints=(*one.complaints, again))).items[0].complaints == 1


def test_reads_that_collapsed() -> None:
    assert reasons(facts(published_days=200, reads=3, before=40)) == (Reason.COLLAPSED,)
    # Under the floor: a fall from 15 to 1 is noise.
    assert reasons(facts(published_days=200, reads=1, before=15)) == ()
    # A fifth is not under a fifth.
    assert reasons(facts(published_days=200, reads=8, before=40)) == ()
    # The window before held its launch week: not a fair comparison.
    assert reasons(facts(published_days=66, reads=3, before=400)) == ()
    assert reasons(facts(published_days=67, reads=3, before=400)) == (Reason.COLLAPSED,)
    # Someone re-checked it since the fall began.
    assert reasons(facts(published_days=200, reads=3, before=40, checked=20)) == ()
    assert reasons(facts(published_days=200, reads=3, before=40, checked=40)) == (
        Reason.COLLAPSED,)


def test_without_figures_reads_are_not_judged() -> None:
    listing = reviewed(facts(published_days=200))
    assert not listing.figures and listing.items[0].reasons == ()


def test_several_reasons_in_a_fixed_order() -> None:
    one = facts(published_days=500, expires=date(2025, 9, 1), reads=0, before=90,
                complaints=(2,))
    assert reasons(one) == (Reason.EXPIRED, Reason.STALE, Reason.COMPLAINTS, Reason.COLLAPSED)


def test_the_windows_end_yesterday() -> None:
    w = old_content.windows(TODAY)
    assert (w.first, w.last) == (date(2026, 11, 7), date(2026, 12, 6))
    assert (w.before_first, w.before_last) == (date(2026, 10, 8), date(2026, 11, 6))


def test_an_article_flagged_to_update_is_listed() -> None:
    flagged = facts(2, 50)
    flagged = replace(flagged, item=replace(flagged.item, state=State.NEEDS_UPDATE))
    assert [o.item.state for o in reviewed(flagged).items] == [State.NEEDS_UPDATE]
