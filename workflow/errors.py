"""Typed workflow errors: each a ``code`` and the data that says why.

The domain decides *why* a move is refused; what people read is the
catalogue's (handlers/templates/errors.j2, a macro per code).
"""

from __future__ import annotations

from datetime import datetime

from workflow.roles import Role
from workflow.states import Event, State


class WorkflowError(Exception):
    """Base of every refusal the workflow can give: a ``code`` and its data (the
    instance's attributes, or its ``data``). People read it as the catalogue
    words it (handlers/templates/errors.j2, a macro per code, given the data)."""

    code = "workflow_error"

    def __init__(self) -> None:
        super().__init__(self.code)


class ItemNotFound(WorkflowError):
    code = "item_not_found"

    def __init__(self, item_id: int) -> None:
        super().__init__()
        self.item_id = item_id


class ActorNotFound(WorkflowError):
    code = "actor_not_found"

    def __init__(self, actor_id: int) -> None:
        super().__init__()
        self.actor_id = actor_id


class TransitionNotAllowed(WorkflowError):
    code = "transition_not_allowed"

    def __init__(self, item_id: int, state: State, event: Event) -> None:
        super().__init__()
        self.item_id, self.state, self.event = item_id, state, event


class PermissionDenied(WorkflowError):
    code = "permission_denied"

    def __init__(self, event: Event, roles: frozenset[Role]) -> None:
        super().__init__()
        self.event, self.roles = event, roles


class NotOwner(WorkflowError):
    code = "not_owner"

    def __init__(self, item_id: int, event: Event) -> None:
        super().__init__()
        self.item_id, self.event = item_id, event


class SelfReview(WorkflowError):
    code = "self_review"

    def __init__(self, edited: bool = False) -> None:
        super().__init__()
        self.edited = edited


class SameReviewer(WorkflowError):
    code = "same_reviewer"

    def __init__(self) -> None:
        super().__init__()


class AlreadyApproved(WorkflowError):
    code = "already_approved"

    def __init__(self) -> None:
        super().__init__()


class NotAWriter(WorkflowError):
    """An item given to a member who may not write (no creator role)."""

    code = "not_a_writer"

    def __init__(self, member: str, member_id: int, roles: frozenset[Role]) -> None:
        super().__init__()
        self.member, self.member_id = member, member_id
        # 成员 角色 sets all of a member's roles: the hint keeps the ones they have.
        self.roles = frozenset(roles | {Role.CREATOR})


class AlreadyWriter(WorkflowError):
    code = "already_writer"

    def __init__(self, item_id: int, member: str) -> None:
        super().__init__()
        self.item_id, self.member = item_id, member


class FeedbackTooLong(WorkflowError):
    code = "feedback_too_long"

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit


class RuleNotFound(WorkflowError):
    code = "rule_not_found"

    def __init__(self, rule_id: int) -> None:
        super().__init__()
        self.rule_id = rule_id


class AlreadySensitive(WorkflowError):
    """Marked sensitive already: marking it again would change nothing."""

    code = "already_sensitive"

    def __init__(self, item_id: int) -> None:
        super().__init__()
        self.item_id = item_id


class ReasonRequired(WorkflowError):
    code = "reason_required"

    def __init__(self) -> None:
        super().__init__()


class QuoteNotFound(WorkflowError):
    """退回 with a quote that is not words of the revision's visible text."""

    code = "quote_not_found"

    def __init__(self, item_id: int, revision: int, quote: str) -> None:
        super().__init__()
        self.item_id, self.revision, self.quote = item_id, revision, quote


class InvalidSchedule(WorkflowError):
    code = "invalid_schedule"

    def __init__(self, when: datetime, now: datetime) -> None:
        super().__init__()
        self.when, self.now = when, now


class InvalidInput(WorkflowError):
    """Input no use case can take; each kind is its own subclass and code."""

    code = "invalid_input"


class RuleRefused(InvalidInput):
    """An auto-reply rule that could never answer, or could answer badly:
    ``problem`` says what (errors.j2 words each), with the limit, the article's
    number, the character position or the text at fault."""

    code = "rule_refused"

    def __init__(self, problem: str, limit: int = 0, number: int = 0, position: int = 0,
                 text: str = "") -> None:
        super().__init__()
        self.problem, self.limit, self.number = problem, limit, number
        self.position, self.text = position, text


class NothingToChange(InvalidInput):
    code = "nothing_to_change"


class TitleMissing(InvalidInput):
    """``planning``: a new topic (its words give an example), else an edit."""

    code = "title_missing"

    def __init__(self, planning: bool) -> None:
        super().__init__()
        self.planning = planning


class TooLong(InvalidInput):
    """More than WeChat takes for a draft's ``field`` (title, digest or body)."""

    code = "too_long"

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__()
        self.field, self.length, self.limit = field, length, limit


class NotAnArticleLink(InvalidInput):
    """A publication recorded by hand names its article: an https link on
    mp.weixin.qq.com, which ``url`` is not."""

    code = "not_an_article_link"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url


class WriterUnknown(InvalidInput):
    code = "writer_unknown"

    def __init__(self, member: str) -> None:
        super().__init__()
        self.member = member


class WriterMissing(InvalidInput):
    code = "writer_missing"


class FeedbackEmpty(InvalidInput):
    code = "feedback_empty"


class SurveyRating(InvalidInput):
    """评估: the third answer of the staff survey is a rating from 1 to 5."""

    code = "survey_rating"

    def __init__(self, given: str) -> None:
        super().__init__()
        self.given = given


class ConcurrentUpdate(WorkflowError):
    """Somebody else changed the item between our read and our write."""

    code = "concurrent_update"

    def __init__(self, item_id: int, winner: str | None, what: str | None,
                 now: str | None = None) -> None:
        super().__init__()
        self.item_id, self.winner = item_id, winner
        self.what, self.now = what, now  # the winner's move, and the item's state now


class StaleVersion(Exception):
    """Raised by a repository when an optimistic version check fails.

    Not a WorkflowError: use cases translate it into ConcurrentUpdate with the
    name of whoever got there first.
    """

    def __init__(self, item_id: int) -> None:
        super().__init__(f"content item {item_id} changed concurrently")
        self.item_id = item_id


class EmptyBody(WorkflowError):
    """The item has no text to read: nothing to review or publish."""

    code = "empty_body"

    def __init__(self, item_id: int, event: Event) -> None:
        super().__init__()
        self.item_id, self.event = item_id, event


# --- staff membership (workflow/staffing.py) ---------------------------------------------
# Subclasses of InvalidInput: callers that caught the storage-era InvalidInput still do.


class StaffRefusal(InvalidInput):
    """A membership change refused: its ``code`` and ``data``, which the
    catalogue words (handlers/templates/errors.j2, staff and confirmations)."""

    code = "staff_refusal"

    def __init__(self, **data: object) -> None:
        super().__init__()
        self.data = data


class UnknownRole(StaffRefusal):
    code = "unknown_role"

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class NoRole(StaffRefusal):
    code = "no_role"


class MemberNameInvalid(StaffRefusal):
    code = "member_name_invalid"

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit)


class NameTooLong(StaffRefusal):
    """An invitee's name longer than a member's name may be."""

    code = "name_too_long"

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit)


class NameTaken(StaffRefusal):
    code = "name_taken"

    def __init__(self, name: str, holder_id: int) -> None:
        super().__init__(name=name, holder_id=holder_id)


class NameShared(StaffRefusal):
    """A name two members share (databases from before names were unique)."""

    code = "name_shared"

    def __init__(self, name: str, ids: list[int]) -> None:
        super().__init__(name=name, ids=ids)


class OpenidTaken(StaffRefusal):
    code = "openid_taken"

    def __init__(self, openid: str) -> None:
        super().__init__(openid=openid)


class MemberNotFound(StaffRefusal):
    code = "member_not_found"

    def __init__(self, ref: int | str) -> None:
        super().__init__(ref=ref)


class LastAdmin(StaffRefusal):
    code = "last_admin"

    def __init__(self, name: str, removing: bool) -> None:
        super().__init__(name=name, removing=removing)


class OwnAdminRole(StaffRefusal):
    code = "own_admin_role"


class RemoveSelf(StaffRefusal):
    code = "remove_self"


class InviteInvalid(StaffRefusal):
    code = "invite_invalid"


class AlreadyMember(StaffRefusal):
    code = "already_member"

    def __init__(self, name: str = "") -> None:
        super().__init__(name=name)


class MemberChanged(StaffRefusal):
    """A removal confirmed after the member changed: the code is void."""

    code = "member_changed"

    def __init__(self, member_id: int) -> None:
        super().__init__(member_id=member_id)


class ActionDenied(StaffRefusal):
    """Somebody without the roles an action needs (workflow.roles.ACTION_ROLES)."""

    code = "action_denied"

    def __init__(self, action: str, roles: frozenset[Role]) -> None:
        super().__init__(action=action, roles=roles)


class ConfirmationRefused(WorkflowError):
    """``why``: "invalid" (unknown, used, or someone else's), "expired", or
    "outdated" (issued before confirmations kept what they confirm)."""

    code = "confirmation_refused"

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why
        self.data = {"why": why}


# --- the reply queue (workflow.tickets) ---------------------------------------------


class TicketNotFound(WorkflowError):
    code = "ticket_not_found"

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id


class TicketRefused(WorkflowError):
    """A staff action the ticket's state does not allow (``reply_queue.refusal``).
    ``raced``: it was allowed when first read, and another commit changed that.
    ``assignee`` (the holder's name) and ``resolution`` say how the ticket is now;
    the use case fills them in from the queue's view of it."""

    code = "ticket_refused"

    def __init__(self, ticket_id: int, action: str, refusal: str, raced: bool = False,
                 assignee: str | None = None, resolution: str = "") -> None:
        super().__init__()
        self.ticket_id, self.action, self.refusal, self.raced = ticket_id, action, refusal, raced
        self.assignee, self.resolution = assignee, resolution


class AccountCannotReply(WorkflowError):
    """The account may not send customer-service messages (``workflow.capabilities``),
    so no reply can reach the follower from wxops: the team answers in the official
    backend's message page instead, within 48 hours. ``kind`` names the account's
    kind (``AccountKind.name``)."""

    code = "account_cannot_reply"

    def __init__(self, ticket_id: int, kind: str) -> None:
        super().__init__()
        self.ticket_id, self.kind = ticket_id, kind


class ReplyWindowClosed(WorkflowError):
    """Outside the follower's customer-service window (``workflow.window.Closed``)."""

    code = "reply_window_closed"

    def __init__(self, ticket_id: int, why: str) -> None:
        super().__init__()
        self.ticket_id, self.why = ticket_id, why


class ReplyEmpty(WorkflowError):
    code = "reply_empty"

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit


class ReplyTooLong(WorkflowError):
    code = "reply_too_long"

    def __init__(self, limit: int, length: int) -> None:
        super().__init__()
        self.limit, self.length = limit, length


class NoteTooLong(WorkflowError):
    code = "note_too_long"

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit


class StaleTicket(Exception):
    """Raised by the ticket repository when its version check fails; the use case
    decides again on the ticket as the other commit left it."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"reply ticket {ticket_id} changed concurrently")
        self.ticket_id = ticket_id


class LinkRefused(WorkflowError):
    """A page's link that cannot be opened: ``why`` is ``unknown`` (never made,
    or its signature is wrong), ``revoked`` or ``expired``."""

    code = "link_refused"

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why


class LinkNotFound(WorkflowError):
    code = "link_not_found"

    def __init__(self, link_id: int) -> None:
        super().__init__()
        self.link_id = link_id


class SurveyNotAsked(WorkflowError):
    """评估 from a member no staff survey was asked of."""

    code = "survey_not_asked"


class SurveyDone(WorkflowError):
    """评估 after all three questions were answered: one answer set a quarter."""

    code = "survey_done"

    def __init__(self, quarter: str) -> None:
        super().__init__()
        self.quarter = quarter


class SurveyAnswerTooLong(WorkflowError):
    code = "survey_answer_too_long"

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit


class NoReport(WorkflowError):
    """报告 before any report was made (the weekly job makes one every Monday)."""

    code = "no_report"


class PreviewUnavailable(WorkflowError):
    """预览 on an account that may not send WeChat previews (``kind``, as
    ``AccountKind.name``) and has no web address for the preview page: the
    remedy is setting WXOPS_PUBLIC_URL."""

    code = "preview_unavailable"

    def __init__(self, item_id: int, kind: str) -> None:
        super().__init__()
        self.item_id, self.kind = item_id, kind
class ChecksFailed(WorkflowError):
    """The newest revision has an error the checks found (workflow/revision_checks.py):
    it may not go to review, or on from it, until a new revision fixes it."""

    code = "checks_failed"

    def __init__(self, item_id: int, event: Event, finding: str, finding_data: dict[str, object],
                 excerpt: str, errors: int) -> None:
        super().__init__()
        self.item_id, self.event, self.finding = item_id, event, finding
        self.finding_data, self.excerpt, self.errors = finding_data, excerpt, errors


class WordInvalid(WorkflowError):
    """A line of the sensitive-word list that cannot be kept: ``reason`` is
    ``empty_or_long`` or ``pattern`` (a regular expression that does not compile)."""

    code = "word_invalid"

    def __init__(self, word: str, reason: str) -> None:
        super().__init__()
        self.word, self.reason = word, reason


class NoDraftBox(WorkflowError):
    """The account may not use the draft box (``kind``, as ``AccountKind.name``):
    drafts come in by ``wxops item import`` or ``wxops item edit`` instead."""

    code = "no_draft_box"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


class DraftNotFound(WorkflowError):
    """No draft of the box by this number or media_id has been seen (``draft``)."""

    code = "draft_not_found"

    def __init__(self, draft: str) -> None:
        super().__init__()
        self.draft = draft


class DraftAttachedElsewhere(WorkflowError):
    """The draft is attached to another item already: one draft, one item."""

    code = "draft_attached_elsewhere"

    def __init__(self, number: int, title: str, item_id: int) -> None:
        super().__init__()
        self.number, self.title, self.item_id = number, title, item_id


class AssetInvalid(WorkflowError):
    """A material that cannot be kept: ``reason`` is ``name`` (not a name an
    article can write after ``asset:``), ``empty``, ``too_large`` or ``long``
    (a credit or consent note over its limit); ``limit`` is that limit."""

    code = "asset_invalid"

    def __init__(self, name: str, reason: str, limit: int = 0) -> None:
        super().__init__()
        self.name, self.reason, self.limit = name, reason, limit


class AssetExists(WorkflowError):
    code = "asset_exists"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class AssetUnknown(WorkflowError):
    code = "asset_unknown"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


# --- article comments (workflow.comments) --------------------------------------------


class CommentUnmapped(WorkflowError):
    """The item's article could not be named to the comment interfaces (its
    address carries no ``mid``/``idx``): reported, never guessed."""

    code = "comment_unmapped"

    def __init__(self, item_id: int) -> None:
        super().__init__()
        self.item_id = item_id


class CommentsUnavailable(WorkflowError):
    """The account may not call the comment interfaces (``workflow.capabilities``):
    only a verified account's articles have them here."""

    code = "comments_unavailable"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


class NotACommentTicket(WorkflowError):
    """精选 and 删评 act on a comment's ticket; this one came from a message."""

    code = "not_a_comment_ticket"

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id


class CommentGone(WorkflowError):
    """The comment was deleted already: nothing more is done to it."""

    code = "comment_gone"

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
