"""Chinese words the screens and forms use for the engine's fixed strings, and the fixed
strings themselves (kept free of pydantic so the engine imports light)."""

RATING_LABELS: tuple[str, ...] = ("优秀", "合格", "基本合格", "不合格")

FLAG_LABELS: dict[str, str] = {
    "exempt": "免于积分管理",
    "vetoed": "一票否决",
    "excellent_eligible": "可评优秀",
    "probation_at_risk": "影响按期转正",
    "commendation_barred": "不得评先评优",
    "priority_commendation": "优先推荐表彰",
    "bottom_ranked": "排名末位",
    "evaluation_missing": "尚无评议",
    "talk_required": "需谈心谈话",
    "disposal_review": "报上级审核处置",
    "tie_at_limit": "并列待定",
    "month_unscored": "有月份未评分",
}

STATUS_LABELS: dict[str, str] = {"full": "正式党员", "probationary": "预备党员"}

KIND_LABELS: dict[str, str] = {"bonus": "加分", "deduction": "减分", "score": "分类得分", "veto": "一票否决"}

METHOD_LABELS: dict[str, str] = {
    "cumulative": "基础分+加分−减分，按年累计，季度为截至季末的累计值",
    "monthly": "按月分类计分，季度取已评分月份的平均，年度取有积分季度的平均（无人评分的月份不计入）",
}

BLEND_LABELS: dict[str, str] = {
    "none": "评议结果单独报告，不计入总分",
    "weighted": "按权重合并",
    "added": "评议分计入总分",
}
