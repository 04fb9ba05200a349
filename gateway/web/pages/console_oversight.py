"""The community managers' oversight screens: flags (`/console/flags`), the response-time
board (`/console/response-times`) and the idea box (`/console/ideas`).

Both answer 404 to anyone who is not a community manager or an admin (`require_console`), and
read and act only through the moderation service's RPCs, with the CM as actor — the same calls
as `GET /api/v1/moderation/queue?reason=flags`, `POST /api/v1/moderation/items/{id}/decision`,
`GET /api/v1/moderation/sla` and `GET /api/v1/moderation/sla/statistics`; ideas through posts'
(`GET /api/v1/posts?kind=idea`, `PUT /api/v1/posts/{id}/status`, `GET|POST /api/v1/posts/{id}/
merge-into/{target_id}`, the preview's watchers from feeds).

A flagged contribution is one queue item per target and round (every flag of the round counted
by reason, with its flagger): *dismiss* is the item's approval (the contribution stays, or comes
back if trusted flags had hidden it), *hide* its rejection with a reason code the author sees.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from gateway.routes.moderation import ITEM_PATH
from gateway.routes.posts import POST_PAIR_PATH, POST_PATH
from services.conversations.schemas import IDS_MAX as CONVERSATION_IDS_MAX
from services.conversations.schemas import STAFF_SIDE
from services.moderation.schemas import REJECT_REASONS, DecisionSchema
from services.moderation.sla import CHANNELS
from services.posts.domain import IDEA_TRANSITIONS
from services.posts.schemas import IDEA_STATUSES, IdeaStatusSchema
from services.shared import ids

from ..page import PageCall, gather, page
from ..social_cases import shown_conversation
from .console import (
    DECISION_MESSAGES,
    UNDOABLE_DECISIONS,
    approval_checks,
    display_names,
    done_item,
    duration,
    form_problem,
    require_console,
    shown_problem,
    urgency,
)
from .public import RULES_REASONS

FLAGS_PAGE = 20
FLAGGERS_SHOWN = 12  # per target; the rest are counted ("and 30 more")
WAITING_SHOWN = 50  # waiting clocks listed per channel (the count says how many wait in all)
FLAG_DECISIONS = {"approve": "dismiss", "reject": "hide"}
IDEAS_PAGE = 20
IDEA_SORTS = ("top", "new")
IDEA_DONE = ("status", "merged")
IDEA_MESSAGES = {"status": "console.ideas_invalid_status", "note": "console.ideas_invalid_note",
                 "release": "console.ideas_invalid_release"}


class FlagsScreenQuery(Schema):
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    done = fields.String(validate=validate.OneOf([*FLAG_DECISIONS.values(), "undo"]))
    undo = ids.MODERATION_ITEM.field()  # the item just dismissed, while its undo is offered
    # the hiding's reason (its code): the confirmation says what the author was told, as the
    # queue's does; and the item decided, which it names (its id, never its title)
    told = fields.String(validate=validate.OneOf(list(REJECT_REASONS)))
    decided = ids.MODERATION_ITEM.field()


class IdeasScreenQuery(Schema):
    status = fields.String(validate=validate.OneOf(IDEA_STATUSES))
    sort = fields.String(load_default="top", validate=validate.OneOf(IDEA_SORTS))
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    done = fields.String(validate=validate.OneOf(IDEA_DONE))


class ResponseTimesQuery(Schema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))


class MergeTargetQuery(Schema):
    into = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "the idea that carries on: its address on the site, or its id"})


def ideas_href(status: str | None = None, sort: str | None = None, cursor: str | None = None,
               done: str | None = None) -> str:
    params = [(k, v) for k, v in (("status", status), ("sort", None if sort == "top" else sort),
                                  ("cursor", cursor), ("done", done)) if v]
    return "/console/ideas" + (f"?{urlencode(params)}" if params else "")


def times_href(channel: str | None = None, cursor: str | None = None) -> str:
    params = [(k, v) for k, v in (("channel", channel), ("cursor", cursor)) if v]
    return "/console/response-times" + (f"?{urlencode(params)}" if params else "")


def post_id_in(text: str) -> str | None:
    """The contribution a CM names by pasting its address (…/posts/<id>#…) or typing its id."""
    found = re.search(rf"(?<![0-9a-z])({ids.POST.pattern})(?![0-9a-z])", text or "")
    return found.group(1) if found else None


def post_titles(call: PageCall, posts: Any, post_ids: list[str]) -> dict[str, str]:
    """These contributions' titles, read as the staff member in parallel (one hidden or deleted
    since has none)."""
    wanted = sorted({post_id for post_id in post_ids if ids.POST.matches(post_id)})
    replies = {post_id: posts.get_post.call_async(call.actor, post_id) for post_id in wanted}
    titles = {}
    for post_id, reply in replies.items():
        post, _ = call.attempt(reply.result)
        titles[post_id] = (post or {}).get("title") or ""
    return titles


def readable_conversations(call: PageCall, conversations: Any, boards: list[dict[str, Any]]
                           ) -> dict[str, dict[str, Any]]:
    """The board's waiting conversations this reader may open, by id, as the console shows
    them (a social case's subject in the reader's words): conversations' own list says which —
    an advisor's, and for a CM or an admin the staff queue's —, never another's subject.
    Asked for by id (`ids`), however far down the reader's inbox they are, so that the access
    audit records a list of the subjects shown, not of a whole inbox's."""
    # a malformed id would fail the whole list (400): it names nothing anyone may open
    wanted = list(dict.fromkeys(clock["conversation_id"] for board in boards
                                for clock in board["clocks"]
                                if ids.CONVERSATION.matches(clock.get("conversation_id"))))
    named: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), CONVERSATION_IDS_MAX):  # one call for the 2 × 50 shown
        asked = wanted[start:start + CONVERSATION_IDS_MAX]
        listed, _ = call.attempt(conversations.list_conversations, call.actor, {
            "side": STAFF_SIDE, "ids": asked, "limit": len(asked)})
        named.update({item["id"]: shown_conversation(call.t, item)
                      for item in (listed or {}).get("items", [])})
    return named


def flags_href(cursor: str | None = None, done: str | None = None, undo: str | None = None,
               told: str | None = None, decided: str | None = None) -> str:
    params = [(k, v) for k, v in (("cursor", cursor), ("done", done), ("undo", undo),
                                  ("told", told), ("decided", decided)) if v]
    return "/console/flags" + (f"?{urlencode(params)}" if params else "")


def contribution_href(item: dict[str, Any]) -> str:
    """Where members read the flagged contribution (a reply: its place in the thread)."""
    anchor = f"#reply-{item['target_id']}" if item.get("target_type") == "reply" else ""
    return f"/posts/{item['post_id']}{anchor}"


def breached_first(clocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Past their target first, then the soonest due (a clock that never falls due last)."""
    return sorted(clocks, key=lambda clock: (not clock.get("breached"),
                                             clock.get("due_at") is None,
                                             clock.get("due_at") or "",
                                             clock.get("published_at") or ""))


# -- the answer-time chart: laid out here, drawn by the template as SVG -----------------------

CHART_LABEL_WIDTH = 110
CHART_BAR_AREA = 420
CHART_ROW = 26
CHART_GROUP_GAP = 14
CHART_SMALLEST_BAR = 2  # a wait measured but tiny stays visible (no answer: no bar at all)
# room for a bar's label written by the page (`label`): 13 px text, wide letters, and the gap
# before the bar — a label is never cut by the chart's left edge
CHART_LABEL_CHAR = 8
CHART_LABEL_GAP = 12


def bar_chart(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The geometry of a horizontal bar chart drawn as SVG by `console/_chart.html`: groups
    of bars under a title row, every bar on one scale, each group's optional `marker` (a
    target) as a line. A group is `{"bars": [{"value": number or None, ...}], "marker": number
    or None, ...}`; groups and bars keep their other keys (what the template writes) and get
    their places. A bar without a value gets no width (nothing measured); a tiny one stays
    visible. Texts and colours are the template's; bars that carry their `label` widen the
    labels' column to the longest."""
    values = [bar["value"] or 0 for group in groups for bar in group["bars"]]
    values += [group["marker"] for group in groups if group.get("marker") is not None]
    scale = max([*values, 1]) / CHART_BAR_AREA
    longest = max([len(str(bar.get("label") or "")) for group in groups
                   for bar in group["bars"]], default=0)
    label_width = max(CHART_LABEL_WIDTH, longest * CHART_LABEL_CHAR + CHART_LABEL_GAP)
    placed, y = [], 0
    for group in groups:
        title_y, bars = y, []
        y += CHART_ROW
        for bar in group["bars"]:
            value = bar["value"]
            width = 0.0 if value is None else max(CHART_SMALLEST_BAR, round(value / scale, 1))
            bars.append({**bar, "y": y, "width": width})
            y += CHART_ROW
        marker = group.get("marker")
        placed.append({**group, "title_y": title_y, "top": title_y + CHART_ROW, "bottom": y,
                       "bars": bars, "target_x": None if marker is None else
                       label_width + round(marker / scale, 1)})
        y += CHART_GROUP_GAP
    return {"groups": placed, "height": y, "label_width": label_width,
            "width": label_width + CHART_BAR_AREA + 90, "row": CHART_ROW}


def answer_time_chart(statistics: dict[str, Any]) -> dict[str, Any]:
    """Bars of p50 and p90 per channel and window, under each channel's name, with the
    channel's target as a line."""
    return bar_chart([
        {"channel": channel, "target_seconds": figures["target_seconds"],
         "marker": figures["target_seconds"],
         "bars": [{"days": window["days"], "measure": key[:3], "seconds": window[key],
                   "value": window[key]}
                  for window in figures["windows"] for key in ("p50_seconds", "p90_seconds")]}
        for channel, figures in (statistics.get("by_channel") or {}).items()])


class ConsoleOversightPages:
    moderation = RpcProxy("moderation")
    identity = RpcProxy("identity")
    posts = RpcProxy("posts")
    feeds = RpcProxy("feeds")
    conversations = RpcProxy("conversations")

    # -- flags -------------------------------------------------------------------------------

    @page("GET", "/console/flags", query=FlagsScreenQuery)
    def console_flags_page(self, call: PageCall):
        require_console(call)
        return self._flags_screen(call, call.query)

    def _flags_screen(self, call: PageCall, query: dict[str, Any], status: int = 200,
                      problem: Any = None, failed: str | None = None):
        listing = {"reason": "flags", "limit": FLAGS_PAGE,
                   **({"cursor": query["cursor"]} if query.get("cursor") else {})}
        queue = self.moderation.queue(call.actor, listing)
        items = queue["items"]
        people = {item["author_id"] for item in items if item.get("author_id")} | {
            flagger["id"] for item in items for flagger in (item.get("flaggers") or [])
            [:FLAGGERS_SHOWN]} | {item["held_by"] for item in items if item.get("held_by")}
        return call.render(
            "console/flags.html", status=status, title=call.t("console.flags_screen_title"),
            noindex=True, section="console", console_tab="flags", items=items,
            waiting=queue.get("waiting", 0), names=display_names(call, self.identity, people),
            flaggers_shown=FLAGGERS_SHOWN, reject_reasons=RULES_REASONS,
            done=query.get("done"), undo_item=query.get("undo"), told=query.get("told"),
            done_item=done_item(call, self.moderation, self.identity, query.get("decided"))
            if query.get("done") else None, problem=problem,
            failed=failed, urgency=urgency,
            duration=lambda seconds: duration(call, seconds),
            contribution_href=contribution_href,
            approval_checks=lambda item: approval_checks(call, item),
            next_page=flags_href(queue["next_cursor"]) if queue.get("next_cursor") else None)

    @page("POST", "/console/flags/{id}/decision", path_params=ITEM_PATH, form=DecisionSchema)
    def console_flag_decision_page(self, call: PageCall):
        """Dismiss (approve) or hide (reject, with a reason code) a flagged contribution."""
        require_console(call)
        item_id = call.path["id"]
        if not item_id.endswith(".flags"):  # this screen decides flags only
            return self._flags_screen(call, {}, 422, {"detail": call.t(
                "console.flags_not_flagged")}, item_id)
        if call.form_errors:
            return self._flags_screen(call, {}, 400, form_problem(
                call, call.form_errors, DECISION_MESSAGES), item_id)
        _, problem = call.attempt(self.moderation.decide, call.actor, item_id, call.form)
        if problem is not None:
            return self._flags_screen(call, {}, problem.status, shown_problem(
                call, problem.body, DECISION_MESSAGES), item_id)
        decision = call.form["decision"]
        # a hiding's confirmation says what its author was told (as the queue's refusal does)
        told = call.form.get("reason_code") if decision == "reject" else None
        return call.redirect(flags_href(done=FLAG_DECISIONS.get(decision), undo=item_id
                                        if decision in UNDOABLE_DECISIONS else None,
                                        told=told, decided=item_id))

    @page("POST", "/console/flags/{id}/undo", path_params=ITEM_PATH)
    def console_flag_undo_page(self, call: PageCall):
        """Take a dismissal back (the API's undo RPC): the contribution leaves public view and
        its flags wait for a decision again, on this screen."""
        require_console(call)
        _, problem = call.attempt(self.moderation.undo, call.actor, call.path["id"])
        if problem is not None:
            return self._flags_screen(call, {}, problem.status, shown_problem(
                call, problem.body, {}))  # said at the top: the item left the list
        return call.redirect(flags_href(done="undo", decided=call.path["id"]))

    # -- response times ----------------------------------------------------------------------

    @page("GET", "/console/response-times", query=ResponseTimesQuery)
    def console_response_times_page(self, call: PageCall):
        """Who waits for a staff answer now, per channel (breached first, live clocks; one
        channel's every waiting clock page by page), and how long the first staff answer took
        over 7 and 30 days (p50 / p90, chart + table)."""
        require_console(call)
        shown = [call.query["channel"]] if call.query.get("channel") else list(CHANNELS)
        found = gather(statistics=self.moderation.sla_statistics.call_async(call.actor, {}),
                       **{channel: self.moderation.sla.call_async(call.actor, {
                           "channel": channel, "limit": WAITING_SHOWN,
                           **({"cursor": call.query["cursor"]} if call.query.get("cursor")
                              else {})}) for channel in shown})
        statistics = found["statistics"]
        boards = []
        for channel in shown:
            report = found[channel]
            figures = report["by_channel"][channel]
            more = report.get("next_cursor")
            boards.append({"channel": channel, "clocks": breached_first(
                report["oldest_unanswered"]), "waiting": figures["unanswered"],
                "breached": figures["breached_unanswered"],
                "target_seconds": report["targets_seconds"].get(channel),
                "more": times_href(channel, more) if more else None})
        titles = post_titles(call, self.posts, [clock["post_id"] for board in boards
                                                for clock in board["clocks"] if clock["post_id"]])
        return call.render(
            "console/response_times.html", title=call.t("console.times_title"), noindex=True,
            section="console", console_tab="response_times", boards=boards, titles=titles,
            conversations=readable_conversations(call, self.conversations, boards),
            one_channel=call.query.get("channel"),
            statistics=statistics, chart=answer_time_chart(statistics),
            now=datetime.now(UTC).isoformat(), urgency=urgency,
            duration=lambda seconds: duration(call, seconds))

    # -- ideas ---------------------------------------------------------------------------------

    @page("GET", "/console/ideas", query=IdeasScreenQuery)
    def console_ideas_page(self, call: PageCall):
        require_console(call)
        return self._ideas_screen(call, call.query)

    def _ideas_screen(self, call: PageCall, query: dict[str, Any], status: int = 200,
                      problem: Any = None, failed: str | None = None,
                      draft: dict[str, Any] | None = None):
        listing = {"kind": "idea", "sort": query.get("sort") or "top", "limit": IDEAS_PAGE,
                   **{key: query[key] for key in ("status", "cursor") if query.get(key)}}
        found = self.posts.list_posts(call.actor, listing)
        ideas = found["items"]
        if failed and all(idea["id"] != failed for idea in ideas):
            # the idea the CM acted on heads the page, with what was refused and their draft
            idea, _ = call.attempt(self.posts.get_post, call.actor, failed)
            ideas = [idea, *ideas] if idea else ideas
        return call.render(
            "console/ideas.html", status=status, title=call.t("console.ideas_title"),
            noindex=True, section="console", console_tab="ideas", ideas=ideas,
            statuses=IDEA_STATUSES, chosen=query.get("status"), sort=listing["sort"],
            # the posts service's own workflow; "already exists" is what a merge sets
            next_statuses=lambda idea: [status for status in IDEA_TRANSITIONS[
                idea.get("status") or "submitted"] if status != "already_exists"],
            sorts=IDEA_SORTS, ideas_href=ideas_href, done=query.get("done"),
            problem=problem, failed=failed, draft=draft or {},
            next_page=ideas_href(query.get("status"), listing["sort"], found["next_cursor"])
            if found.get("next_cursor") else None)

    @page("POST", "/console/ideas/{id}/status", path_params=POST_PATH, form=IdeaStatusSchema)
    def console_idea_status_page(self, call: PageCall):
        """A new status with its public note (and release link): the API's status RPC."""
        require_console(call)
        idea_id = call.path["id"]
        if call.form_errors:
            return self._ideas_screen(call, {}, 400, form_problem(
                call, call.form_errors, IDEA_MESSAGES), idea_id, call.raw_form)
        _, problem = call.attempt(self.posts.set_idea_status, call.actor, idea_id, call.form)
        if problem is not None:
            return self._ideas_screen(call, {}, problem.status, shown_problem(
                call, problem.body, IDEA_MESSAGES), idea_id, call.raw_form)
        return call.redirect(ideas_href(done="status"))

    @page("GET", "/console/ideas/{id}/merge", path_params=POST_PATH, query=MergeTargetQuery)
    def console_idea_merge_page(self, call: PageCall):
        """Before merging: both ideas and what would move (votes, watchers), to confirm."""
        require_console(call)
        idea_id, target_id = call.path["id"], post_id_in(call.query["into"])
        if target_id is None:
            return self._ideas_screen(call, {}, 422, {"detail": call.t(
                "console.ideas_merge_no_target")}, idea_id, {"into": call.query["into"]})
        votes = self.posts.merge_preview.call_async(call.actor, idea_id, target_id)
        watchers = self.feeds.merge_watchers.call_async(call.actor, idea_id, target_id)
        preview, problem = call.attempt(votes.result)
        if problem is not None:
            return self._ideas_screen(call, {}, problem.status, problem.body, idea_id,
                                      {"into": call.query["into"]})
        return call.render(
            "console/idea_merge.html", title=call.t("console.ideas_merge_title"), noindex=True,
            section="console", console_tab="ideas", preview={**preview, **watchers.result()})

    @page("POST", "/console/ideas/{id}/merge-into/{target_id}", path_params=POST_PAIR_PATH)
    def console_idea_merged_page(self, call: PageCall):
        require_console(call)
        _, problem = call.attempt(self.posts.merge_idea, call.actor, call.path["id"],
                                  call.path["target_id"])
        if problem is not None:
            return self._ideas_screen(call, {}, problem.status, problem.body, call.path["id"])
        return call.redirect(ideas_href(done="merged"))
