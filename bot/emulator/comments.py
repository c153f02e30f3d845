"""Comments on sent articles, keyed by (msg_data_id, index)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.emulator.errors import WeChatError

MAX_REPLY = 1000
COMMENT_TYPES = {0: None, 1: 0, 2: 1}  # list type -> comment_type it keeps (None: all)


@dataclass
class Comment:
    user_comment_id: int
    openid: str
    create_time: int
    content: str
    comment_type: int = 0  # 1: elected (精选)
    reply: dict[str, object] | None = None
    deleted: bool = False

    def view(self) -> dict[str, object]:
        view: dict[str, object] = {
            "user_comment_id": self.user_comment_id, "openid": self.openid,
            "create_time": self.create_time, "content": self.content,
            "comment_type": self.comment_type}
        if self.reply is not None:
            view["reply"] = self.reply
        return view


@dataclass
class Thread:
    open: bool
    comments: list[Comment] = field(default_factory=list)


@dataclass
class CommentBoard:
    threads: dict[tuple[int, int], Thread] = field(default_factory=dict)

    def register(self, msg_data_id: int, open_flags: list[bool]) -> None:
        """A sent article set: one thread per article, index 0-based."""
        for index, is_open in enumerate(open_flags):
            self.threads[(msg_data_id, index)] = Thread(is_open)

    def thread(self, msg_data_id: object, index: object) -> Thread:
        thread = None
        if isinstance(msg_data_id, int) and isinstance(index, int):
            thread = self.threads.get((msg_data_id, index))
        if thread is None:
            raise WeChatError(88001)
        return thread

    def set_open(self, msg_data_id: object, index: object, is_open: bool) -> None:
        self.thread(msg_data_id, index).open = is_open

    def add(self, msg_data_id: object, index: object, openid: str, content: str,
            now: float) -> Comment:
        thread = self.thread(msg_data_id, index)
        comment = Comment(len(thread.comments) + 1, openid, int(now), content)
        thread.comments.append(comment)
        return comment

    def listing(self, msg_data_id: object, index: object, begin: int, count: int,
                kind: int) -> tuple[int, list[dict[str, object]]]:
        if not 1 <= count <= 49 or begin < 0 or kind not in COMMENT_TYPES:
            raise WeChatError(40097)
        wanted = COMMENT_TYPES[kind]
        rows = [c for c in self.thread(msg_data_id, index).comments
                if not c.deleted and (wanted is None or c.comment_type == wanted)]
        return len(rows), [c.view() for c in rows[begin:begin + count]]

    def comment(self, msg_data_id: object, index: object, comment_id: object) -> Comment:
        for c in self.thread(msg_data_id, index).comments:
            if c.user_comment_id == comment_id and not c.deleted:
                return c
        raise WeChatError(88008)

    def reply(self, comment: Comment, content: str, now: float) -> None:
        if not content or len(content) > MAX_REPLY:
            raise WeChatError(88007)
        if comment.reply is not None:
            raise WeChatError(88005)
        comment.reply = {"content": content, "create_time": int(now)}
