"""THE routing table of staff commands: words (Chinese first, English aliases),
arguments, roles, and the handler of each. The README's command reference and
the 帮助 reply are generated from it and from what the catalogue says of each
command under its name (handlers/templates/commands.toml)."""

from __future__ import annotations

from handlers.commands import (
    comments,
    confirm,
    content,
    drafts,
    me,
    old_content,
    planning,
    queue,
    team,
)
from handlers.commands.grammar import Arg, Spec
from workflow.agenda import PERIOD_WORDS
from workflow.autoreply import MatchType
from workflow.capabilities import Capability
from workflow.roles import ROLE_WORDS, Action, command_roles
from workflow.states import STATE_LABELS, Event, State

ITEM = Arg("item", "item", "稿件编号")
TICKET = Arg("ticket", "ticket", "工单编号")
REPLY = Arg("reply", "rest", "回复")
NOTE = "备注内容"  # 备注 T5 …, and 结 T5 … (closing with a note)
KEYWORD = Arg("pattern", "word", "关键词")  # a rule's pattern, like the regex and menu key
STATES = {label: state.value for state, label in STATE_LABELS.items()} | \
    {state.value: state.value for state in STATE_LABELS}
VERDICTS = {"正常": "ok", "ok": "ok", "更新": "update", "update": "update",
            "删除": "delete", "delete": "delete"}
RECHECK = ("复查", "recheck")  # 复查 lists what is due; 复查 12 正常 answers one
SWITCH = {"开": "on", "on": "on", "open": "on", "关": "off", "off": "off", "close": "off"}
DRAFTS = {"草稿": "drafts", "drafts": "drafts", "draft": "drafts"}
ROLES = {word: role.value for role, word in ROLE_WORDS.items()} | \
    {role.value: role.value for role in ROLE_WORDS}


def _spec(name: str, words: tuple[str, ...], args: tuple[Arg, ...], handler: object,
          does: Event | Action, changes: bool = True, confirm: bool = False,
          forms: tuple[Spec, ...] = ()) -> Spec:
    """A command that does ``does``: who may use it is workflow's answer (one
    authorisation source: workflow.roles.EVENT_ROLES and ACTION_ROLES). What 帮助
    says about it is in the catalogue under its name (templates/commands.toml)."""
    return Spec(name, words, args, handler,  # type: ignore[arg-type]
                roles=command_roles(does), does=does, changes=changes, confirm=confirm,
                forms=forms)


#: What the account must be able to call for a command to be of use: 回 and the
#: saved replies it sends are customer-service messages. 帮助 leaves out the
#: commands the account cannot use (workflow.capabilities).
NEEDS: dict[str, Capability] = {"reply": Capability.CUSTOMER_SERVICE,
                                "feature_comment": Capability.COMMENTS,
                                "delete_comment": Capability.COMMENTS,
                                "canned": Capability.CUSTOMER_SERVICE,
                                "item_drafts": Capability.MATERIALS}

_A, _E = Action, Event
TABLE: tuple[Spec, ...] = (
    # Me
    _spec("help", ("帮助", "help"), (Arg("topic", "rest", "命令", required=False),), me.help_,
          changes=False, does=_A.READ),
    _spec("todo", ("我的", "todo"), (), me.todo, changes=False, does=_A.READ),
    _spec("stats", ("统计", "stats"), (Arg("days", "word", "7天|30天|本月", required=False),),
          me.stats, changes=False, does=_A.READ),
    _spec("report", ("报告", "report"), (), me.report, does=_A.READ),
    _spec("feedback", ("建议", "feedback"), (Arg("text", "rest", "建议内容"),), me.feedback,
          does=_A.FEEDBACK),
    _spec("survey", ("评估", "survey"), (Arg("answer", "rest", "回答", required=False),),
          me.survey, does=_A.FEEDBACK),
    # Content
    _spec("items", ("稿件", "items"), (Arg("state", "choice", "状态", False, STATES),),
          content.items, changes=False, does=_A.READ, forms=(
              # 稿件 12 草稿 lists the draft box's drafts; 稿件 12 草稿 2 attaches one:
              # whoever may edit the item (its roles are an edit's, the policy decides).
              _spec("item_drafts", ("稿件", "items"),
                    (ITEM, Arg("drafts", "choice", "草稿", True, DRAFTS),
                     Arg("draft", "int", "草稿编号", required=False)),
                    drafts.item_drafts, does=_E.EDIT),)),
    _spec("show", ("查看", "show"), (ITEM,), content.show, changes=False, does=_A.READ),
    _spec("plan", ("选题", "plan"), (Arg("title", "rest", "标题 [截止 日期]"),), planning.plan,
          does=_E.PLAN),
    _spec("assign", ("分配", "assign"), (ITEM, Arg("member", "rest", "成员")), planning.assign,
          does=_E.ASSIGN),
    _spec("due", ("截止", "due"), (ITEM, Arg("day", "rest", "日期|无")), planning.due,
          does=_E.SET_DUE),
    _spec("agenda", ("日程", "agenda"), (Arg("period", "choice", "范围", False, PERIOD_WORDS),),
          planning.calendar, changes=False, does=_A.READ),
    _spec("start", ("开始", "start"), (ITEM,), content.transition(Event.START), does=_E.START),
    _spec("submit", ("提交", "submit"), (ITEM,), content.transition(Event.SUBMIT),
          does=_E.SUBMIT),
    _spec("revise", ("修订", "revise"), (ITEM,), content.transition(Event.REVISE),
          does=_E.REVISE),
    _spec("cancel", ("取消", "cancel"), (ITEM,), content.ask_to_confirm(Event.CANCEL),
          does=_E.CANCEL, confirm=True),
    _spec("approve", ("通过", "approve"), (ITEM, Arg("note", "rest", "意见", required=False)),
          content.transition(Event.APPROVE, "note"), does=_E.APPROVE),
    _spec("reject", ("退回", "reject"), (ITEM, Arg("reason", "rest", "理由")),
          content.transition(Event.REQUEST_CHANGES, "reason"), does=_E.REQUEST_CHANGES),
    _spec("final", ("终审", "final"), (ITEM, Arg("note", "rest", "意见", required=False)),
          content.transition(Event.FINAL_APPROVE, "note"), does=_E.FINAL_APPROVE),
    _spec("sensitive", ("敏感", "sensitive"), (ITEM,), content.transition(Event.MARK_SENSITIVE),
          does=_E.MARK_SENSITIVE),
    _spec("schedule", ("排期", "schedule"), (ITEM, Arg("when", "rest", "时间")), content.schedule,
          does=_E.SCHEDULE),
    _spec("unschedule", ("取消排期", "unschedule"), (ITEM,),
          content.transition(Event.UNSCHEDULE), does=_E.UNSCHEDULE),
    _spec("publish", ("发布", "publish"), (ITEM,), content.ask_to_confirm(Event.PUBLISH),
          does=_E.PUBLISH, confirm=True),
    # Named by the state it moves an item to: 已发布 12 <链接>.
    _spec("published", (State.PUBLISHED.label, "published"),
          (ITEM, Arg("link", "pattern", "文章链接")), content.record_published,
          does=_E.RECORD_PUBLISHED),
    _spec("retry", ("重试", "retry"), (ITEM,), content.transition(Event.RETRY), does=_E.RETRY),
    _spec("withdraw", ("撤回", "withdraw"), (ITEM,), content.ask_to_confirm(Event.WITHDRAW),
          does=_E.WITHDRAW, confirm=True),
    # 复查 alone lists what is due; 复查 12 正常 answers one (a number first: the form).
    _spec("rechecks", RECHECK, (), content.rechecks_due, changes=False,
          does=_A.READ, forms=(
              _spec("recheck", RECHECK,
                    (ITEM, Arg("verdict", "choice", "结论", True, VERDICTS),
                     Arg("note", "rest", "说明", required=False)), content.recheck,
                    does=_E.RECHECK_OK),)),
    _spec("old", ("旧文", "old"), (), old_content.old_articles, changes=False, does=_A.READ),
    _spec("archive", ("归档", "archive"), (ITEM,), content.transition(Event.ARCHIVE),
          does=_E.ARCHIVE),
    _spec("preview", ("预览", "preview"), (ITEM,), content.preview, changes=False,
          does=_A.PREVIEW),
    _spec("confirm", ("确认", "confirm"), (Arg("code", "code", "确认码"),), confirm.confirm,
          does=_A.CONFIRM),
    # Reply queue
    _spec("queue", ("队列", "queue"), (), queue.show_queue, changes=False, does=_A.READ),
    _spec("ticket", ("工单", "ticket"), (TICKET,), queue.show_ticket, changes=False,
          does=_A.READ),
    _spec("claim", ("接", "claim"), (TICKET,), queue.claim, does=_A.HANDLE_TICKET),
    _spec("reply", ("回", "reply"), (TICKET, Arg("text", "rest", "回复内容")), queue.reply,
          does=_A.HANDLE_TICKET),
    _spec("close", ("结", "close"), (TICKET, Arg("note", "rest", NOTE, required=False)),
          queue.close, does=_A.HANDLE_TICKET),
    _spec("snooze", ("缓", "snooze"), (TICKET, Arg("duration", "rest", "时长")), queue.snooze,
          does=_A.HANDLE_TICKET),
    _spec("note", ("备注", "note"), (TICKET, Arg("text", "rest", NOTE)), queue.note,
          does=_A.HANDLE_TICKET),
    _spec("feature_comment", ("精选", "feature"), (TICKET,), comments.feature,
          does=_A.FEATURE_COMMENT),
    _spec("delete_comment", ("删评", "uncomment"), (TICKET,), comments.ask_delete,
          does=_A.DELETE_COMMENT, confirm=True),
    _spec("comments", ("评论", "comments"),
          (ITEM, Arg("switch", "choice", "开|关", True, SWITCH)),
          comments.switch, does=_A.SET_COMMENTS),
    _spec("canned", ("快捷", "canned"), (Arg("rest", "rest", "添加 代码 内容|删除 代码",
                                            required=False),), queue.canned,
          does=_A.CANNED),
    # Team and rules
    _spec("bind", ("绑定", "bind"), (Arg("code", "code", "邀请码"),), team.bind, does=_A.JOIN),
    _spec("staff", ("成员", "staff"), (), team.list_staff, does=_A.LIST_STAFF, changes=False),
    _spec("invite", ("成员 邀请", "staff invite"),
          (Arg("role", "choice", "角色", True, ROLES), Arg("name", "rest", "名字", False)),
          team.invite, does=_A.INVITE),
    _spec("role", ("成员 角色", "staff role"),
          (Arg("member", "int", "成员编号"), Arg("roles", "rest", "角色")), team.set_roles,
          does=_A.SET_ROLES),
    _spec("remove", ("成员 删除", "staff remove"), (Arg("member", "int", "成员编号"),),
          team.remove_staff, does=_A.REMOVE_STAFF, confirm=True),
    _spec("rules", ("规则", "rules"), (), team.list_rules, does=_A.MANAGE_RULES, changes=False),
    _spec("rule_add", ("规则 添加", "rules add"), (KEYWORD, REPLY),
          team.rule_adder(MatchType.EXACT), does=_A.MANAGE_RULES),
    _spec("rule_contains", ("规则 包含", "rules contains"), (KEYWORD, REPLY),
          team.rule_adder(MatchType.CONTAINS), does=_A.MANAGE_RULES),
    _spec("rule_regex", ("规则 正则", "rules regex"), (Arg("pattern", "pattern", "表达式"), REPLY),
          team.rule_adder(MatchType.REGEX), does=_A.MANAGE_RULES),
    _spec("rule_click", ("规则 菜单", "rules click"), (Arg("pattern", "pattern", "菜单key"), REPLY),
          team.rule_adder(MatchType.CLICK), does=_A.MANAGE_RULES),
    _spec("rule_test", ("规则 测试", "rules test"), (Arg("text", "rest", "文字"),),
          team.test_rule, does=_A.MANAGE_RULES, changes=False),
    _spec("rule_remove", ("规则 删除", "rules remove"), (Arg("rule", "int", "规则编号"),),
          team.remove_rule, does=_A.DELETE_RULE, confirm=True),
)
