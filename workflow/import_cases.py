"""An article imported from a file (Markdown or Word, laid out by ``layout/``)
written as a new revision of an item, or planned as a new item from its title.

The revision goes through ``usecases.edit``, so it is checked like any other
(workflow/revision_checks.py); ``sensitive: true`` in the front matter marks
the item sensitive as a reviewer's 敏感 would, by the system, naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workflow import usecases
from workflow.machine import Decision
from workflow.model import ArticleMeta, Context, ItemChanges
from workflow.ports import UnitOfWork
from workflow.roles import SYSTEM_ACTOR
from workflow.states import Event


@dataclass(frozen=True)
class Article:
    """What the file gives an item: the body as HTML, and what the front matter
    says (``meta`` replaces the item's as a whole; None leaves it as it is)."""

    body: str
    title: str | None = None
    digest: str | None = None
    sensitive: bool = False
    meta: ArticleMeta | None = None


def write(uow: UnitOfWork, actor_id: int, item_id: int, article: Article,
          ctx: Context) -> Decision:
    """A new revision of ``item_id`` from ``article`` (``ctx.comment``: the file)."""
    changes = ItemChanges(title=article.title, digest=article.digest, body=article.body,
                          meta=article.meta)
    decision = usecases.edit(uow, actor_id, item_id, changes, ctx)
    if not article.sensitive or decision.item.sensitive:
        return decision
    usecases.act(uow, SYSTEM_ACTOR.id, item_id, Event.MARK_SENSITIVE, replace(ctx, command=""))
    with uow:
        marked = uow.items.get(item_id)
    return replace(decision, item=marked) if marked is not None else decision


def plan(uow: UnitOfWork, actor_id: int, article: Article, ctx: Context) -> Decision:
    """A new item titled by the front matter (refused as any plan without a title
    is), then its first revision from ``article``."""
    created = usecases.plan(uow, actor_id, article.title or "", ctx)
    return write(uow, actor_id, created.id, replace(article, title=None), ctx)
