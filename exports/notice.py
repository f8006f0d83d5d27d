"""The sentences of a publicity notice (季度公示表, 年度公示表) around its table.

A notice opens with a lead-in (现将…予以公示，公示期为…), states the scheme's procedure for a
member who disagrees, gives a contact and closes with a 落款 (branch and date). The facts come
from the scheme's [process] (publicity_days, where, watchers, objection_to, answer_days or
answer, review_body and review_days) and from the contact stored with the branch; only the
sentence patterns are here. Objections and 复议 have answer deadlines counted from the
member's act, so they are stated as deadlines, never as dated windows after the publicity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.scheme import Process
from exports.deadlines import Publicity, chinese_date

# A line to fill in by hand where the branch stored no contact.
BLANK_NAME = "________"
BLANK_PHONE = "______________"
# Where the date of a draft's 落款 goes: filled in by hand when the notice is posted.
BLANK_DATE = "　　年　　月　　日"


@dataclass(frozen=True)
class Notice:
    lead_in: str
    procedure: str
    estimate: str | None  # for readers: the dates rest on holiday rules, not a published arrangement
    contact: str
    signed_by: str
    signed_on: str

    def closing(self) -> list[str]:
        """The sentences after the table, in order (the 落款 apart); the estimate's note goes
        with the lead-in, beside the dates it speaks of."""
        return [self.procedure, self.contact]


def lead_in(branch: str, period: str, process: Process, publicity: Publicity | None) -> str:
    """现将{branch}{period}党员积分情况予以公示，公示期为N个工作日，自…至…。公示期间接受…监督。

    `publicity` None (a draft: the quarter is not locked, so nothing is posted yet) gives no
    dates: the period is counted from the day the notice is posted."""
    days = process.publicity_days
    when = publicity.sentence() if publicity is not None else f"公示期为{days}个工作日，自张贴之日起计算"
    text = f"现将{branch}{period}党员积分情况{process.where}予以公示，{when}。"
    if process.watchers:
        text += f"公示期间接受{process.watchers}监督。"
    return text


def procedure(process: Process) -> str:
    """Where a member who disagrees turns, and within what the answer comes, in the scheme's terms."""
    to = process.objection_to or "党支部"
    formal = process.answer_days is not None or bool(process.answer)
    text = f"党员对公示的积分情况有异议的，可向{to}{'提出申诉' if formal else '反映'}"
    if process.answer_days is not None:
        text += f"，{to}应自收到申诉之日起{process.answer_days}个工作日内作出答复"
    elif process.answer:
        text += f"，{to}应{process.answer}"
    if formal and (process.review_days is not None or process.review_body):
        body = process.review_body or "上级党组织"
        text += f"；对{to}的答复不满意的，可向{body}申请复议"
        if process.review_days is not None:
            text += f"，{body}应自收到复议申请之日起{process.review_days}个工作日内作出答复"
    return text + "。"


def procedure_brief(process: Process) -> list[str]:
    """The same facts in short lines for the console's lock page (the notice's sentence is too
    long for a line of the screen)."""
    to = process.objection_to or "党支部"
    formal = process.answer_days is not None or bool(process.answer)
    first = f"异议：向{to}{'提出申诉' if formal else '反映'}"
    if process.answer_days is not None:
        first += f"，{to}{process.answer_days}个工作日内答复"
    elif process.answer:
        first += f"，{to}应{process.answer}"
    out = [first]
    if formal and (process.review_days is not None or process.review_body):
        body = process.review_body or "上级党组织"
        review = f"复议：对答复不满意的，可向{body}申请复议"
        if process.review_days is not None:
            review += f"，{body}{process.review_days}个工作日内答复"
        out.append(review)
    return out


def contact_line(name: str, phone: str) -> str:
    """联系人：张三　　联系电话：0371-12345678, or lines to fill in by hand."""
    return f"联系人：{name or BLANK_NAME}　　联系电话：{phone or BLANK_PHONE}"


def notice(branch: str, period: str, process: Process, publicity: Publicity | None,
           contact: tuple[str, str], signed_on: date | None) -> Notice:
    """Every sentence of one notice; `publicity` and `signed_on` None for a draft."""
    return Notice(
        lead_in=lead_in(branch, period, process, publicity),
        procedure=procedure(process),
        estimate=publicity.note if publicity is not None else None,
        contact=contact_line(*contact),
        signed_by=branch,
        signed_on=chinese_date(signed_on) if signed_on is not None else BLANK_DATE,
    )
