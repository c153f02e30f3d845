"""THE routing table of staff commands: words (Chinese first, English aliases),
arguments, roles, and the handler of each. The README's command reference and
the 帮助 reply are generated from it."""

from __future__ import annotations

from handlers.commands import confirm, content, me, planning, queue, team
from handlers.commands.grammar import Arg, Spec
from workflow.agenda import PERIOD_WORDS
from workflow.autoreply import MatchType
from workflow.roles import ROLE_WORDS, Action, command_roles
from workflow.states import STATE_LABELS, Event

ITEM = Arg("item", "item", "稿件编号")
TICKET = Arg("ticket", "ticket", "工单编号")
REPLY = Arg("reply", "rest", "回复")
KEYWORD = Arg("pattern", "word", "关键词")  # a rule's pattern, like the regex and menu key
STATES = {label: state.value for state, label in STATE_LABELS.items()} | \
    {state.value: state.value for state in STATE_LABELS}
VERDICTS = {"正常": "ok", "ok": "ok", "更新": "update", "update": "update",
            "删除": "delete", "delete": "delete"}
ROLES = {word: role.value for role, word in ROLE_WORDS.items()} | \
    {role.value: role.value for role in ROLE_WORDS}


def _spec(name: str, words: tuple[str, ...], args: tuple[Arg, ...], handler: object,
          summary: str, example: str, does: Event | Action,
          changes: bool = True, confirm: bool = False, confirm_when: str = "") -> Spec:
    """A command that does ``does``: who may use it is workflow's answer (one
    authorisation source: workflow.roles.EVENT_ROLES and ACTION_ROLES)."""
    return Spec(name, words, args, handler, summary, example,  # type: ignore[arg-type]
                roles=command_roles(does), does=does, changes=changes, confirm=confirm,
                confirm_when=confirm_when)


_A, _E = Action, Event
TABLE: tuple[Spec, ...] = (
    # Me
    _spec("help", ("帮助", "help"), (Arg("topic", "rest", "命令", required=False),),
          me.help_, "列出你可以用的命令；帮助 命令 查看一个命令", "帮助 通过", changes=False,
          does=_A.READ),
    _spec("todo", ("我的", "todo"), (), me.todo, "等你处理的稿件和工单，以及没看到的通知", "我的",
          changes=False, does=_A.READ),
    _spec("stats", ("统计", "stats"), (Arg("days", "word", "天数", required=False),), me.stats,
          "最近几天（默认 7 天）的阅读、分享、新增关注和待回复工单", "统计 7天", changes=False,
          does=_A.READ),
    _spec("feedback", ("建议", "feedback"), (Arg("text", "rest", "建议内容"),), me.feedback,
          "对内容流程的建议，季度评估时汇总", "建议 终审通知能不能早一点发", does=_A.FEEDBACK),
    # Content
    _spec("items", ("稿件", "items"), (Arg("state", "choice", "状态", False, STATES),),
          content.items, "按状态列出稿件（最新在前）", "稿件 初审中", changes=False, does=_A.READ),
    _spec("show", ("查看", "show"), (ITEM,), content.show,
          "稿件详情：状态、正文字数和开头、审核人、记录、你接下来能做什么", "查看 12",
          changes=False, does=_A.READ),
    _spec("plan", ("选题", "plan"), (Arg("title", "rest", "标题 [截止 日期]"),), planning.plan,
          "新建选题，可带截稿日期", "选题 冬季助学计划招募志愿者 截止 下周五", does=_E.PLAN),
    _spec("assign", ("分配", "assign"), (ITEM, Arg("member", "rest", "成员")), planning.assign,
          "把选题或稿件交给一位成员撰写（编号或名字）", "分配 12 王芳", does=_E.ASSIGN),
    _spec("due", ("截止", "due"), (ITEM, Arg("day", "rest", "日期|无")), planning.due,
          "设定稿件的截稿日期（「无」表示不限）", "截止 12 下周五", does=_E.SET_DUE),
    _spec("agenda", ("日程", "agenda"), (Arg("period", "choice", "范围", False, PERIOD_WORDS),),
          planning.calendar, "按日期列出截稿、排期和发布（本周、下周、本月）", "日程 下周",
          changes=False, does=_A.READ),
    _spec("start", ("开始", "start"), (ITEM,), content.transition(Event.START),
          "开始撰写选题", "开始 12", does=_E.START),
    _spec("submit", ("提交", "submit"), (ITEM,), content.transition(Event.SUBMIT),
          "提交审核（修改后也用它重新提交）", "提交 12", does=_E.SUBMIT),
    _spec("revise", ("修订", "revise"), (ITEM,), content.transition(Event.REVISE),
          "复查标记待更新的文章：重新打开修改，改完再「提交」", "修订 12", does=_E.REVISE),
    _spec("cancel", ("取消", "cancel"), (ITEM,), content.ask_to_confirm(Event.CANCEL),
          "放弃还没提交的选题或稿件（需确认）；已发布文章的修订则只放弃修订，文章仍在线上",
          "取消 12", does=_E.CANCEL, confirm=True),
    _spec("approve", ("通过", "approve"), (ITEM, Arg("note", "rest", "意见", required=False)),
          content.transition(Event.APPROVE, "note"), "初审通过", "通过 12 写得很好",
          does=_E.APPROVE),
    _spec("reject", ("退回", "reject"), (ITEM, Arg("reason", "rest", "理由")),
          content.transition(Event.REQUEST_CHANGES, "reason"), "退回修改（必须写理由）",
          "退回 12 标题太长，请控制在 20 字内", does=_E.REQUEST_CHANGES),
    _spec("final", ("终审", "final"), (ITEM, Arg("note", "rest", "意见", required=False)),
          content.transition(Event.FINAL_APPROVE, "note"),
          "终审通过（敏感稿件需两位不同的终审）", "终审 12", does=_E.FINAL_APPROVE),
    _spec("sensitive", ("敏感", "sensitive"), (ITEM,), content.transition(Event.MARK_SENSITIVE),
          "标记为敏感稿件：需要两位终审", "敏感 12", does=_E.MARK_SENSITIVE),
    _spec("schedule", ("排期", "schedule"), (ITEM, Arg("when", "rest", "时间")), content.schedule,
          "定时发布（明天 9:00、周五 20:00、2026-12-01 09:00）", "排期 12 明天 9:00",
          does=_E.SCHEDULE),
    _spec("unschedule", ("取消排期", "unschedule"), (ITEM,),
          content.transition(Event.UNSCHEDULE), "取消定时发布", "取消排期 12", does=_E.UNSCHEDULE),
    _spec("publish", ("发布", "publish"), (ITEM,), content.ask_to_confirm(Event.PUBLISH),
          "立即发布（需确认）", "发布 12", does=_E.PUBLISH, confirm=True),
    _spec("retry", ("重试", "retry"), (ITEM,), content.transition(Event.RETRY),
          "发布失败后重试", "重试 12", does=_E.RETRY),
    _spec("withdraw", ("撤回", "withdraw"), (ITEM,), content.ask_to_confirm(Event.WITHDRAW),
          "撤回并删除已发布的文章（需确认）", "撤回 12", does=_E.WITHDRAW, confirm=True),
    _spec("recheck", ("复查", "recheck"),
          (ITEM, Arg("verdict", "choice", "结论", True, VERDICTS),
           Arg("note", "rest", "说明", required=False)), content.recheck,
          "定期复查已发布文章：正常 / 需要更新 / 删除（删除即撤回，仅管理员，需确认）",
          "复查 12 更新 数据已过时", does=_E.RECHECK_OK, confirm_when="结论为「删除」"),
    _spec("archive", ("归档", "archive"), (ITEM,), content.transition(Event.ARCHIVE),
          "归档已发布或已撤回的稿件", "归档 12", does=_E.ARCHIVE),
    _spec("preview", ("预览", "preview"), (ITEM,), content.preview,
          "把稿件的微信预览发到你的手机", "预览 12", changes=False, does=_A.PREVIEW),
    _spec("confirm", ("确认", "confirm"), (Arg("code", "code", "确认码"),), confirm.confirm,
          "确认发布、撤回、删除等操作（5 分钟内）", "确认 K7M2QX", does=_A.CONFIRM),
    # Reply queue
    _spec("queue", ("队列", "queue"), (), queue.show_queue,
          "待回复的粉丝留言：投诉（！）在前，再按等待最久；每条显示粉丝最新的留言",
          "队列", changes=False, does=_A.READ),
    _spec("ticket", ("工单", "ticket"), (TICKET,), queue.show_ticket,
          "一条工单最近的消息（最新的在最后）和备注", "工单 T5", changes=False,
          does=_A.READ),
    _spec("claim", ("接", "claim"), (TICKET,), queue.claim, "认领工单", "接 T5",
          does=_A.HANDLE_TICKET),
    _spec("reply", ("回", "reply"), (TICKET, Arg("text", "rest", "回复内容")), queue.reply,
          "回复粉丝（#快捷码 使用保存的回复）", "回 T5 活动在周六上午九点", does=_A.HANDLE_TICKET),
    _spec("close", ("结", "close"), (TICKET,), queue.close, "结束工单", "结 T5",
          does=_A.HANDLE_TICKET),
    _spec("snooze", ("缓", "snooze"), (TICKET, Arg("duration", "rest", "时长")), queue.snooze,
          "暂缓工单一段时间（2小时、1天）", "缓 T5 2小时", does=_A.HANDLE_TICKET),
    _spec("note", ("备注", "note"), (TICKET, Arg("text", "rest", "备注内容")), queue.note,
          "给工单加内部备注（粉丝看不到）", "备注 T5 已电话联系", does=_A.HANDLE_TICKET),
    _spec("canned", ("快捷", "canned"), (Arg("rest", "rest", "添加 代码 内容|删除 代码",
                                            required=False),), queue.canned,
          "列出、添加、删除快捷回复", "快捷 添加 地址 社区中心在幸福路 8 号",
          does=_A.CANNED),
    # Team and rules
    _spec("bind", ("绑定", "bind"), (Arg("code", "code", "邀请码"),), team.bind,
          "用邀请码加入团队", "绑定 K7M2QX8P", does=_A.JOIN),
    _spec("staff", ("成员", "staff"), (), team.list_staff, "列出成员和角色", "成员",
          does=_A.LIST_STAFF, changes=False),
    _spec("invite", ("成员 邀请", "staff invite"),
          (Arg("role", "choice", "角色", True, ROLES), Arg("name", "rest", "名字", False)),
          team.invite, "生成一次性邀请码", "成员 邀请 审核 王芳", does=_A.INVITE),
    _spec("role", ("成员 角色", "staff role"),
          (Arg("member", "int", "成员编号"), Arg("roles", "rest", "角色")), team.set_roles,
          "修改成员的角色（可多个）", "成员 角色 3 审核 分析", does=_A.SET_ROLES),
    _spec("remove", ("成员 删除", "staff remove"), (Arg("member", "int", "成员编号"),),
          team.remove_staff, "移除成员（需确认）", "成员 删除 3",
          does=_A.REMOVE_STAFF, confirm=True),
    _spec("rules", ("规则", "rules"), (), team.list_rules, "列出自动回复规则", "规则",
          does=_A.MANAGE_RULES, changes=False),
    _spec("rule_add", ("规则 添加", "rules add"), (KEYWORD, REPLY),
          team.rule_adder(MatchType.EXACT), "添加关键词自动回复（完全匹配）",
          "规则 添加 地址 社区中心在幸福路 8 号", does=_A.MANAGE_RULES),
    _spec("rule_contains", ("规则 包含", "rules contains"), (KEYWORD, REPLY),
          team.rule_adder(MatchType.CONTAINS), "添加自动回复：留言包含关键词就回复",
          "规则 包含 报名 报名请点菜单“志愿者”", does=_A.MANAGE_RULES),
    _spec("rule_regex", ("规则 正则", "rules regex"), (Arg("pattern", "pattern", "表达式"), REPLY),
          team.rule_adder(MatchType.REGEX),
          "添加自动回复：留言匹配正则表达式（表达式里的空格写作 \\s）",
          "规则 正则 ^(几点|什么时候)开门 周一至周五 9:00-17:00", does=_A.MANAGE_RULES),
    _spec("rule_click", ("规则 菜单", "rules click"), (Arg("pattern", "pattern", "菜单key"), REPLY),
          team.rule_adder(MatchType.CLICK), "添加菜单点击的回复（菜单按钮的 key）",
          "规则 菜单 CONTACT 电话 010-12345678", does=_A.MANAGE_RULES),
    _spec("rule_test", ("规则 测试", "rules test"), (Arg("text", "rest", "文字"),),
          team.test_rule, "试一试某句话会命中哪条规则", "规则 测试 活动时间", does=_A.MANAGE_RULES,
          changes=False),
    _spec("rule_remove", ("规则 删除", "rules remove"), (Arg("rule", "int", "规则编号"),),
          team.remove_rule, "删除规则（需确认）", "规则 删除 4", does=_A.DELETE_RULE, confirm=True),
)
