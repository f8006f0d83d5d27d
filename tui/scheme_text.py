"""A scheme as readable Chinese text: its rules, then its catalogue (`jifen schemes show`)."""

from __future__ import annotations

from core.grading import describe
from core.labels import BLEND_LABELS, FLAG_LABELS, METHOD_LABELS
from core.numbers import show
from core.scheme import Cited, Condition, Item, Scheme


def _condition(when: Condition) -> str:
    return describe(when) or "其余"


def item_points(item: Item) -> str:
    each = "每次" if item.each else ""
    if item.kind == "veto":
        return "年度积分为0"
    if item.levels is not None:
        return each + "，".join(f"{k}{show(v)}分" for k, v in item.levels.items())
    if item.points is not None:
        return f"{each}{show(item.points)}分"
    if item.choice is not None:
        return each + "或".join(f"{show(v)}分" for v in item.choice)
    if item.range is not None:
        return f"{each}酌情{show(item.range[0])}-{show(item.range[1])}分"
    if item.max is not None:
        return f"每次不超过{show(item.max)}分"
    return f"{each}分值由支部研究确定"


def basis_lines(part: Cited, indent: str = "    ") -> list[str]:
    """依据 (the seed's words) and 说明 (the scheme's reading) of a rule, each on its own line."""
    out = []
    if part.clause or part.place:
        out.append(f"{indent}依据：{part.cite}")
    if part.reading:
        out.append(f"{indent}说明：{part.reading}")
    return out


def scheme_lines(s: Scheme) -> list[str]:
    out = [f"{s.name}（{s.id}）", f"  {s.organisation}", f"  {s.document}", "", "计分规则"]
    out.append(f"  方法：{METHOD_LABELS[s.points.method]}")
    out += basis_lines(s.points)
    if s.categories:
        how = "按月评分，各类不超过满分" if s.points.method == "monthly" else "各类扣完为止"
        out.append("  基础分分类：" + "，".join(f"{c.name}{show(c.max)}" for c in s.categories)
                   + f"（共{show(s.base)}分，{how}）")
    else:
        out.append(f"  基础分：{show(s.base)}")
    cap = (f"，{'每月' if s.bonus.cap_per == 'month' else '全年'}不超过{show(s.bonus.cap)}分"
           if s.bonus.cap is not None else "，不设上限")
    out.append(f"  {s.bonus.label}{cap}")
    out += basis_lines(s.bonus)
    out.append(f"  {s.deduction.label}" + ("" if s.deduction.uncategorised else "：在所属分类内扣减"))
    out += basis_lines(s.deduction)
    if s.points.floor is not None:
        out.append(f"  积分不低于{show(s.points.floor)}分")
    if s.veto is not None:
        out.append(f"  {s.veto.label}：自所在季度起季度积分为0，年度积分为0")
        out += basis_lines(s.veto)
    else:
        out.append("  一票否决：本方案没有")
    if s.exemption is not None:
        out.append(f"  免于积分管理：{s.exemption.route}")
        out += basis_lines(s.exemption)
    else:
        out.append("  免于积分管理：本方案没有规定")
    ev = s.evaluation
    values = "，".join(f"{k}{show(v)}" for k, v in ev.values.items())
    blend = BLEND_LABELS[ev.blend]
    if ev.blend == "weighted":
        pw, ew = ev.weights()
        blend += f"：积分×{show(pw * 100)}% + 评议×{show(ew * 100)}%"
    out.append(f"  {ev.label}：每年{ev.rounds}轮，{values}；{blend}")
    out += basis_lines(ev)
    out += basis_lines(ev.ballot)
    if s.total.floor is not None:
        out.append(f"  总分不低于{show(s.total.floor)}分")
        out += basis_lines(s.total)
    out += ["", "等次（按顺序，先符合者为准）"]
    if not s.grading.grades:
        out.append("  本方案不规定党员等次")
    for r in s.grading.rules:
        out.append(f"  {_condition(r.when)} → {r.grade or '不评定等次'}")
        out += basis_lines(r)
    if not s.grading.probationary:
        out.append("  预备党员不评定等次")
    if s.flags:
        out += ["", "标记"]
        for f in s.flags:
            out.append(f"  {FLAG_LABELS[f.flag]}（{f.flag}）：{_condition(f.when)}")
            out += basis_lines(f)
    p = s.process
    out += ["", "工作流程"]
    meeting = {'monthly': '每月', 'quarterly': '每季度', 'half-yearly': '每半年', 'yearly': '每年'}[p.meeting]
    out.append(f"  党员大会：{meeting}")
    out.append(f"  公示：{p.publicity_days}个工作日" + (f"，{p.where}" if p.where else "")
               + (f"，接受{p.watchers}监督" if p.watchers else ""))
    if p.answer_days is not None:
        out.append(f"  异议：向{p.objection_to}申诉，{p.answer_days}个工作日内答复")
    elif p.answer:
        out.append(f"  异议：向{p.objection_to}申诉，{p.answer}")
    else:
        out.append(f"  异议：向{p.objection_to}反映（方案未规定申诉程序）")
    if p.review_days is not None or p.review_body:
        out.append(f"  复议：向{p.review_body or '上级党组织'}申请"
                   + (f"，{p.review_days}个工作日内答复" if p.review_days is not None else ""))
    out.append(f"  民主评议：{'每半年' if p.evaluation == 'half-yearly' else '每年'}")
    out += basis_lines(p, "  ")
    out += ["", f"事项清单（{len(s.items)}项）"]
    section = None
    for item in s.items:
        if item.section != section:
            section = item.section
            out.append(f"  【{section or '其他'}】")
        cat = f"［{item.category}］" if item.category else ""
        out.append(f"    {item.code:<6} {item.label}{cat}：{item_points(item)}")
        out += basis_lines(item, "           ")
    return out
