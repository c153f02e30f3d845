"""Roles, actors, and which role may fire which event."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from workflow.states import Event


class Role(StrEnum):
    CREATOR = "creator"
    REVIEWER = "reviewer"
    ANALYST = "analyst"
    ADMIN = "admin"
    # The scheduler and the WeChat platform act as SYSTEM: timed publishes and
    # publish results. No person holds this role.
    SYSTEM = "system"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CREATOR: "内容创作者",
    Role.REVIEWER: "审核员",
    Role.ANALYST: "数据分析员",
    Role.ADMIN: "管理员",
    Role.SYSTEM: "系统",
}

STAFF_ROLES = (Role.CREATOR, Role.REVIEWER, Role.ANALYST, Role.ADMIN)
#: The short words staff type for a role (成员 邀请 审核), beside label and value.
ROLE_WORDS: dict[Role, str] = {Role.CREATOR: "创作", Role.REVIEWER: "审核",
                               Role.ANALYST: "分析", Role.ADMIN: "管理"}

_R, _E = Role, Event

#: Who may fire each event. Admins may do everything a person may do.
EVENT_ROLES: dict[Event, frozenset[Role]] = {
    _E.PLAN: frozenset({_R.CREATOR}),
    _E.START: frozenset({_R.CREATOR}),
    _E.CANCEL: frozenset({_R.CREATOR}),
    _E.SUBMIT: frozenset({_R.CREATOR}),
    _E.EDIT: frozenset({_R.CREATOR}),
    _E.REVISE: frozenset({_R.CREATOR}),
    _E.APPROVE: frozenset({_R.REVIEWER}),
    _E.REQUEST_CHANGES: frozenset({_R.REVIEWER}),
    _E.FINAL_APPROVE: frozenset({_R.REVIEWER}),
    # The system marks an item whose new revision has a word of the list (revision_checks).
    _E.MARK_SENSITIVE: frozenset({_R.REVIEWER, _R.SYSTEM}),
    _E.SET_DUE: frozenset({_R.CREATOR}),
    _E.ASSIGN: frozenset(),
    _E.RECHECK_OK: frozenset({_R.REVIEWER, _R.ANALYST}),
    _E.FLAG_OUTDATED: frozenset({_R.REVIEWER, _R.ANALYST}),
    _E.SCHEDULE: frozenset(),
    _E.UNSCHEDULE: frozenset(),
    _E.PUBLISH: frozenset(),
    _E.RETRY: frozenset(),
    _E.WITHDRAW: frozenset(),
    _E.ARCHIVE: frozenset(),
    _E.DUE: frozenset({_R.SYSTEM}),
    _E.PUBLISH_SUCCEEDED: frozenset({_R.SYSTEM}),
    _E.PUBLISH_FAILED: frozenset({_R.SYSTEM}),
    _E.SUBMIT_CONFIRMED: frozenset({_R.SYSTEM}),
    _E.RECORD_PUBLISHED: frozenset(),
}

#: Events only the system fires; not even an admin may fake a publish result.
SYSTEM_EVENTS = frozenset({_E.DUE, _E.PUBLISH_SUCCEEDED, _E.PUBLISH_FAILED,
                           _E.SUBMIT_CONFIRMED})

#: Events on which a creator is limited to their own items.
OWNER_EVENTS = frozenset({_E.START, _E.CANCEL, _E.SUBMIT, _E.EDIT, _E.REVISE, _E.SET_DUE})

#: Review decisions: the author of an item may never make them.
REVIEW_EVENTS = frozenset({_E.APPROVE, _E.REQUEST_CHANGES, _E.FINAL_APPROVE})


class Action(StrEnum):
    """What staff do besides firing a content-item event (those are ``Event``)."""

    READ = "read"  # lists, details, help, the calendar, the reply queue
    FEEDBACK = "feedback"
    PREVIEW = "preview"
    CONFIRM = "confirm"  # 确认 CODE: what it confirms is authorised when performed
    JOIN = "join"  # 绑定 CODE: open to somebody who is not a member yet
    HANDLE_TICKET = "handle_ticket"  # claim, reply, note, snooze, close
    CANNED = "canned"
    LIST_STAFF = "list_staff"
    INVITE = "invite"
    SET_ROLES = "set_roles"
    REMOVE_STAFF = "remove_staff"
    MANAGE_RULES = "manage_rules"  # list, add, test
    DELETE_RULE = "delete_rule"
    FEATURE_COMMENT = "feature_comment"  # 精选 T5
    DELETE_COMMENT = "delete_comment"  # 删评 T5 (confirmed)
    SET_COMMENTS = "set_comments"  # 评论 12 开|关


#: Who may do each Action. ``None``: every member. Otherwise as in EVENT_ROLES:
#: these roles and admins; empty: admins only.
ACTION_ROLES: dict[Action, frozenset[Role] | None] = {
    Action.READ: None,
    Action.FEEDBACK: None,
    Action.PREVIEW: None,
    Action.CONFIRM: None,
    Action.JOIN: None,
    Action.HANDLE_TICKET: None,
    Action.CANNED: frozenset(),
    Action.LIST_STAFF: frozenset(),
    Action.INVITE: frozenset(),
    Action.SET_ROLES: frozenset(),
    Action.REMOVE_STAFF: frozenset(),
    Action.MANAGE_RULES: frozenset(),
    Action.DELETE_RULE: frozenset(),
    Action.FEATURE_COMMENT: None,
    Action.DELETE_COMMENT: frozenset({Role.REVIEWER}),
    Action.SET_COMMENTS: frozenset({Role.REVIEWER}),
}


@dataclass(frozen=True)
class Actor:
    """Somebody acting on the workflow: a staff member, or the system."""

    id: int
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)

    def has(self, role: Role) -> bool:
        return role in self.roles or (Role.ADMIN in self.roles and role is not Role.SYSTEM)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


SYSTEM_ACTOR = Actor(id=0, name="系统", roles=frozenset({Role.SYSTEM}))


def roles_for(event: Event) -> frozenset[Role]:
    """Roles that may fire ``event``; admin is implied for every non-system event."""
    allowed = EVENT_ROLES[event]
    return allowed if event in SYSTEM_EVENTS else allowed | {Role.ADMIN}


def action_roles(action: Action) -> frozenset[Role] | None:
    """Roles that may do ``action``, admin included; None when every member may."""
    allowed = ACTION_ROLES[action]
    return None if allowed is None else allowed | {Role.ADMIN}


def may(actor: Actor, action: Action) -> bool:
    allowed = action_roles(action)
    return allowed is None or bool(allowed & actor.roles)


#: The person at the server's shell (``wxops staff …``, ``wxops rules …``): may do
#: what an admin may; audited as "cli".
CONSOLE_ACTOR = Actor(id=0, name="cli", roles=frozenset({Role.ADMIN}))


def command_roles(thing: Event | Action) -> frozenset[Role]:
    """The roles a staff command that does ``thing`` needs, as the command table
    keeps them: empty when every member may; otherwise they include admin."""
    if isinstance(thing, Event):  # the system's share of an event is no command's
        return (roles_for(thing) - {Role.SYSTEM}) or roles_for(thing)
    return action_roles(thing) or frozenset()
