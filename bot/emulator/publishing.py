"""Publications (freepublish) and mass sends (preview, sendall).

A publication's article addresses are in the long form, which names the
article (``mid`` = msg_data_id, ``idx`` 1-based), unless ``short_urls`` is set
(control API ``/_emulator/publishing/urls``): then in the short ``/s/<token>``
form the platform also hands out, which names nothing, as for an account whose
addresses come that way."""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.clock import DAY
from bot.emulator.content import Draft
from bot.emulator.errors import WeChatError

OK, PUBLISHING, DELETED = 0, 1, 5
# Statuses whose failure names the article that failed.
_FAIL_IDX_STATUSES = frozenset({2, 4})


@dataclass
class Publication:
    publish_id: int
    msg_data_id: int
    draft: Draft
    submitted_at: float
    ready_at: float
    final_status: int
    article_id: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    deleted: set[int] = field(default_factory=set)
    settled: bool = False
    short: bool = False  # its addresses in the short /s/<token> form

    def _short_url(self, idx: int) -> str:
        digest = hashlib.sha256(f"{self.article_id}|{idx}".encode()).digest()
        return ("https://mp.weixin.qq.com/s/"
                + base64.urlsafe_b64encode(digest[:16]).decode().rstrip("="))

    def status(self, now: float) -> int:
        if now < self.ready_at:
            return PUBLISHING
        if self.final_status == OK and len(self.deleted) == len(self.draft.articles):
            return DELETED
        return self.final_status

    def article_urls(self) -> list[str]:
        """As the platform's long form: ``mid`` is the msg_data_id, ``idx`` 1-based
        (or the short form, which says neither)."""
        if self.short:
            return [self._short_url(i) for i in range(1, len(self.draft.articles) + 1)]
        return [f"https://mp.weixin.qq.com/s?__biz=MzI0NTEmulator==&mid={self.msg_data_id}"
                f"&idx={i}&sn={self.article_id[:32].lower()}#rd"
                for i in range(1, len(self.draft.articles) + 1)]

    def event_info(self, now: float) -> dict[str, object]:
        """PublishEventInfo of PUBLISHJOBFINISH, also the body of freepublish/get."""
        status = self.status(now)
        info: dict[str, object] = {"publish_id": self.publish_id, "publish_status": status}
        if status in (OK, DELETED):
            items = [{"idx": i, "article_url": url}
                     for i, url in enumerate(self.article_urls(), start=1)
                     if i not in self.deleted]
            info["article_id"] = self.article_id
            info["article_detail"] = {"count": len(items), "item": items}
        if status in _FAIL_IDX_STATUSES:
            info["fail_idx"] = [1]
        return info

    def news_item(self, no_content: bool = False) -> list[dict[str, Any]]:
        items = self.draft.news_item(no_content)
        for i, (item, url) in enumerate(zip(items, self.article_urls(), strict=True), 1):
            item["url"] = url
            item["is_deleted"] = i in self.deleted
        return items


@dataclass
class MassSend:
    msg_id: int
    msg_data_id: int
    media_id: str
    clientmsgid: str
    sent_at: float
    recipients: int
    titles: list[str]


def _ids_from_clock() -> itertools.count[int]:
    return itertools.count(int(time.time() * 1000))


@dataclass
class PublishBook:
    """Publications and mass sends. Their ids start from the clock (in
    milliseconds), so an emulator started afresh never hands out an id that an
    earlier run gave to another job, which wxops may still hold."""

    publications: dict[int, Publication] = field(default_factory=dict)
    mass_sends: list[MassSend] = field(default_factory=list)
    short_urls: bool = False  # publications from now on get short addresses
    _publish_ids: itertools.count[int] = field(default_factory=_ids_from_clock)
    _msg_ids: itertools.count[int] = field(default_factory=_ids_from_clock)
    _msg_data_ids: itertools.count[int] = field(default_factory=_ids_from_clock)

    def submit(self, draft: Draft, now: float, delay: float, status: int) -> Publication:
        pub = Publication(next(self._publish_ids), next(self._msg_data_ids), draft, now,
                          now + delay, status, short=self.short_urls)
        self.publications[pub.publish_id] = pub
        return pub

    def describe(self, now: float) -> list[dict[str, Any]]:
        """What the official backend lists: each publication's ids, titles, addresses,
        and when it was submitted (the emulator's clock, Unix seconds)."""
        return [{"publish_id": p.publish_id, "msg_data_id": p.msg_data_id,
                 "submitted_at": p.submitted_at,
                 "article_id": p.article_id, "status": p.status(now),
                 "titles": [str(a.get("title", "")) for a in p.draft.articles],
                 "urls": p.article_urls()} for p in self.publications.values()]

    def publication(self, publish_id: object) -> Publication:
        pub = self.publications.get(publish_id) if isinstance(publish_id, int) else None
        if pub is None:
            raise WeChatError(40007, "invalid publish_id")
        return pub

    def by_article(self, article_id: object, now: float) -> Publication:
        for pub in self.publications.values():
            if pub.article_id == article_id and pub.status(now) in (OK, DELETED):
                return pub
        raise WeChatError(53600)

    def published(self, now: float) -> list[Publication]:
        """Successful publications, newest first."""
        done = [p for p in self.publications.values() if p.status(now) == OK]
        return sorted(done, key=lambda p: -p.submitted_at)

    def delete(self, article_id: object, index: object, now: float) -> None:
        pub = self.by_article(article_id, now)
        count = len(pub.draft.articles)
        if not isinstance(index, int) or not 0 <= index <= count:
            raise WeChatError(40097, "invalid index")
        # index 0 deletes every article of the publication.
        pub.deleted |= set(range(1, count + 1)) if index == 0 else {index}

    def earlier_mass_send(self, clientmsgid: str, now: float) -> MassSend | None:
        """A mass send with this clientmsgid in the last 24 hours."""
        for sent in self.mass_sends:
            if clientmsgid and sent.clientmsgid == clientmsgid and now - sent.sent_at < DAY:
                return sent
        return None

    def record_mass_send(self, draft: Draft, clientmsgid: str, now: float,
                         recipients: int) -> MassSend:
        titles = [str(a.get("title", "")) for a in draft.articles]
        sent = MassSend(next(self._msg_ids), next(self._msg_data_ids), draft.media_id,
                        clientmsgid, now, recipients, titles)
        self.mass_sends.append(sent)
        return sent

    def next_msg_id(self) -> int:
        return next(self._msg_ids)
