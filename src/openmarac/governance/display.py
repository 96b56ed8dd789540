"""How figures are shown on the dashboard: small numbers suppressed, the 10 principles,
and charts drawn as SVG on the server. No number is computed here: they all come from
`figures`; this module only decides how each is written."""

from dataclasses import dataclass, field

from django.utils.safestring import mark_safe

from openmarac.core.display import escaped

from . import figures

# Counts from 1 to 4 are shown as "fewer than 5": in a small Marac a count of 1 or 2
# with a characteristic (male, aged 16 or 17) could identify a person.
SUPPRESS_BELOW = 5
FEWER_THAN = "fewer than 5"


def is_suppressed(n) -> bool:
    return n is not None and 0 < n < SUPPRESS_BELOW


def count_text(n, *, suppress=True) -> str:
    if n is None:
        return "Not available"
    if suppress and is_suppressed(n):
        return FEWER_THAN
    return f"{n:,}"


def percent_text(value, numerator=None, whole=None, *, suppress=True) -> str:
    """A share, hidden when the count behind it is small (the share would give it away
    to anyone who knows the total), or when it is a share of fewer than 5 cases (0% of
    2 cases says as much as a count would)."""
    if value is None:
        return "Not available"
    if suppress and (is_suppressed(numerator) or is_suppressed(whole)):
        return FEWER_THAN
    return f"{value:g}%"


def number_text(value, suffix="", basis=None) -> str:
    """A rate or median; hidden when it rests on fewer than 5 cases."""
    if value is None:
        return "Not available"
    if is_suppressed(basis):
        return f"based on {FEWER_THAN} cases"
    return f"{value:g}{suffix}"


@dataclass
class Item:
    key: str  # the anchor of its definition
    label: str
    value: str
    previous: str
    national: str = ""


@dataclass
class Principle:
    number: int
    title: str
    items: list = field(default_factory=list)
    breakdowns: list = field(default_factory=list)
    rows: str = ""  # the items' table rows (figure_rows)


def principles(now: figures.PeriodFigures, before: figures.PeriodFigures, *, open_after_two, definitions_url) -> list:
    """The dashboard: every figure under the principle it evidences, with the previous
    period beside it and the national figure where SafeLives publishes one, each
    linking to its definition on the page at `definitions_url`."""

    def item(key, label, fn, national=""):
        return Item(key, label, fn(now), fn(before), national)

    def total(name):
        return lambda f: count_text(getattr(f.totals, name) if f.totals else 0)

    def share_of(name):
        def text(f):
            part = getattr(f.totals, name) if f.totals else 0
            return percent_text(f.diversity_shares[name], part, f.totals.cases if f.totals else None)

        return text

    cases = total("cases")
    national = figures.NATIONAL
    result = [
        Principle(1, "Identification", [
            item("cases", "Cases heard", cases),
            item("children", "Children in the households", total("children")),
        ]),
        Principle(2, "Referral to Marac and Idva", [
            item("repeat_rate", "Repeat cases", total("repeats")),
            item("repeat_rate", "Repeat rate", lambda f: percent_text(f.repeat_rate, f.totals.repeats if f.totals else 0, f.totals.cases if f.totals else None), f"{national['repeat_rate']:g}%"),
            item("not_police_share", "Share of cases not referred by the police", lambda f: percent_text(f.not_police_share, (f.totals.cases - f.totals.referrals_by_agency_kind["police"]) if f.totals else 0, f.totals.cases if f.totals else None), f"{national['not_police_share']:g}%"),
            item("hearing_time", "Median days from disclosure to hearing", lambda f: number_text(f.hearing_days_median, " days", f.hearing_measured)),
            item("hearing_time", "Heard within 6 weeks of disclosure", lambda f: percent_text(f.hearing_within_target_share, f.hearing_within_target, f.hearing_measured), "6 weeks at most"),
        ], [now.breakdowns["referral_sources"]]),
        Principle(3, "Multi-agency engagement", [], [now.breakdowns["attendance"]]),
        Principle(4, "Independent representation for victims", [
            item("idva_contact", "Idva first contact within 48 hours", lambda f: percent_text(f.idva_within_48h_share, f.idva_contacts_within_48h, f.idva_contacts_due), "within 24 to 48 hours"),
            item("idva_caseload", "Referrals a year per Idva", lambda f: number_text(f.referrals_per_idva_a_year, basis=f.idva_referrals), f"no more than {figures.IDVA_CASELOAD_LIMIT}"),
        ]),
        Principle(5, "Research and information sharing", [
            # Research is agencies' work, not about a person: never suppressed.
            item("research", "Research returned on time", lambda f: percent_text(f.research_on_time_share, suppress=False)),
        ], [now.breakdowns["research"]]),
        Principle(6, "Action planning", [
            item("actions", "Actions agreed", lambda f: count_text(f.actions_agreed)),
            item("actions", "Actions completed", lambda f: count_text(f.actions_completed)),
            item("actions", "Actions completed on time", lambda f: count_text(f.actions_completed_on_time)),
            item("actions", "Actions overdue", lambda f: count_text(f.actions_overdue)),
            item("actions", "Not possible: circumstances changed", lambda f: count_text(f.actions_not_possible["circumstances_changed"])),
            item("actions", "Not possible: agency has not done it", lambda f: count_text(f.actions_not_possible["agency_not_done"])),
        ], [now.breakdowns["actions"], open_after_two]),
        Principle(7, "Number of cases", [
            # Meetings are not people: their number is never suppressed.
            item("meetings_held", "Meetings held", lambda f: f"{f.meetings_held:,}"),
            item("cases_per_meeting", "Cases per meeting", lambda f: number_text(f.cases_per_meeting, basis=f.totals.cases if f.totals else 0), "about 16"),
            item("cases_per_10000", "Cases a year per 10,000 adult women", lambda f: number_text(f.cases_per_10000_a_year, basis=f.totals.cases if f.totals else 0), f"{national['cases_per_10000']:g} (recommended {figures.RECOMMENDED_CASES_PER_10000})"),
        ]),
        Principle(8, "Equality", [
            item("diversity", "Victims racially minoritised", share_of("victims_racially_minoritised"), f"{national['victims_racially_minoritised']:g}%"),
            item("diversity", "Victims LGBT+", share_of("victims_lgbt"), f"{national['victims_lgbt']:g}%"),
            item("diversity", "Victims disabled", share_of("victims_disabled"), f"{national['victims_disabled']:g}%"),
            item("diversity", "Victims male", share_of("victims_male"), f"{national['victims_male']:g}%"),
            item("diversity", "Victims aged 16 or 17", share_of("victims_aged_16_17"), f"{national['victims_aged_16_17']:g}%"),
            item("diversity", "Perpetrators aged 17 or under", share_of("perpetrators_aged_17_or_under")),
        ]),
        Principle(9, "Operational support", [
            item("cases_per_coordinator", "Cases a year per coordinator", lambda f: number_text(f.cases_per_coordinator_a_year, basis=f.totals.cases if f.totals else 0), f"about {figures.CASES_PER_ADMINISTRATOR}"),
        ]),
        Principle(10, "Governance", [
            item("quality_concerns", "Quality concerns raised", lambda f: count_text(f.quality_concerns)),
        ], [now.breakdowns["quality_concerns"]]),
    ]
    for principle in result:
        principle.breakdowns = [table(b) for b in principle.breakdowns]
        principle.rows = figure_rows(principle.items, definitions_url)
    return result


# The dashboard's repeated table rows are written here rather than by template loops,
# with each value escaped once (`escaped`): its hundred rows, through the loops or
# through `format_html`, were a third of the page's rendering. The same markup as the
# loops they replaced (tests/governance/test_display.py compares them).
_CELL = '<td class="govuk-table__cell govuk-table__cell--numeric">'


def figure_rows(items, definitions_url, *, compared=True):
    """The rows of a table of figures (`Item`s): each figure linking to its definition,
    its value and, when `compared`, the previous period's and the national figure."""
    rows = []
    for item in items:
        label = escaped(item.label)
        others = f"\n        {_CELL}{escaped(item.previous)}</td>\n        {_CELL}{escaped(item.national or 'None published')}</td>" if compared else ""
        rows.append(
            f'\n      <tr class="govuk-table__row" data-figure="{label}">'
            f'\n        <th scope="row" class="govuk-table__header"><a class="govuk-link" href="{escaped(definitions_url)}#{escaped(item.key)}">{label}</a></th>'
            f"\n        <td class=\"govuk-table__cell govuk-table__cell--numeric\" data-value>{escaped(item.value)}</td>{others}"
            "\n      </tr>\n    "
        )
    return mark_safe("".join(rows))


def outcome_items(o: figures.Outcomes) -> list:
    return [
        Item("re_referral", "Cases heard in the period", count_text(o.heard), ""),
        Item("re_referral", "Re-referred within the repeat window of the hearing", count_text(o.re_referred_within_window), ""),
        Item("re_referral", "Hearings whose window has ended", count_text(o.window_complete), ""),
        Item("re_referral", "Of those, re-referred", count_text(o.re_referred_of_complete), ""),
        Item("repeat_alert", "Cases that reached the repeat-alert threshold", count_text(o.alert_cases), ""),
        Item("repeat_alert", "Of those, a different approach decided by the chair", count_text(o.alert_decided), ""),
        Item("repeat_alert", "Decisions carried out", count_text(o.alert_decisions_done), ""),
        Item("actions_per_case", "Completed actions per case", number_text(o.actions_per_case, basis=o.heard), ""),
        Item("disclosure_to_hearing", "Median days from disclosure to hearing (the referral date when the disclosure date is not known)", number_text(o.referral_to_hearing_median, " days", o.heard), ""),
    ]


# --- Charts ------------------------------------------------------------------------------

BAR_HEIGHT = 22
BAR_GAP = 8
# Sized for half the page width, so the chart sits beside its table at about 1:1.
LABEL_WIDTH = 170
BAR_SPACE = 170
CHART_WIDTH = LABEL_WIDTH + BAR_SPACE + 100
LABEL_CHARACTERS = 24
CORE_FILL = "#1d70b8"
OTHER_FILL = "#505a5f"


@dataclass
class Bar:
    label: str
    text: str
    y: int
    width: int
    text_x: int
    label_y: int
    is_core: bool


@dataclass
class Table:
    """A breakdown ready to show: its cells as text, and its chart's bars."""

    key: str
    title: str
    columns: list
    rows: list  # (label, [texts], is_core)
    bars: list
    height: int
    chart_label: str
    has_core: bool
    width: int = CHART_WIDTH
    bar_x: int = LABEL_WIDTH

    @property
    def chart(self):
        return chart_svg(self)

    @property
    def body(self):
        return table_rows(self)


def table(breakdown: figures.Breakdown) -> Table:
    rows = []
    for label, values, is_core in breakdown.rows:
        behind = dict(breakdown.percent_columns)
        suppress = breakdown.about_people
        texts = [
            percent_text(value, values[behind[i]], suppress=suppress) if i in behind else count_text(value, suppress=suppress)
            for i, value in enumerate(values)
        ]
        rows.append((label, texts, is_core))
    charted = [(label, values[breakdown.chart_column], is_core) for label, values, is_core in breakdown.rows]
    top = max((v for _, v, _ in charted if v and not (breakdown.about_people and is_suppressed(v))), default=0)
    bars = []
    for i, (label, value, is_core) in enumerate(charted):
        y = i * (BAR_HEIGHT + BAR_GAP)
        # A suppressed count gets no bar: its length would give the number away.
        hidden = breakdown.about_people and is_suppressed(value)
        width = 0 if not top or hidden or not value else max(2, round(BAR_SPACE * value / top))
        bars.append(Bar(label=label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…", text=count_text(value, suppress=breakdown.about_people), y=y, width=width, text_x=LABEL_WIDTH + width + 6, label_y=y + 16, is_core=is_core))
    return Table(
        key=breakdown.key,
        title=breakdown.title,
        columns=breakdown.columns,
        rows=rows,
        bars=bars,
        height=max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP),
        chart_label=f"Bar chart: {breakdown.title}, {breakdown.columns[breakdown.chart_column].lower()}. The same figures are in the table.",
        has_core=any(is_core for _, _, is_core in breakdown.rows),
    )


_CORE_TAG = ' <strong class="govuk-tag govuk-tag--blue">Core</strong>'


def table_rows(table: Table):
    """The rows of a breakdown's table: a row a label (core agencies tagged) with its
    values as text, or a row saying there is none."""
    if not table.rows:
        return mark_safe(f'\n        <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="{len(table.columns) + 1}">None in this period.</td></tr>\n      ')
    rows = []
    for label, texts, is_core in table.rows:
        cells = "".join(f"{_CELL}{escaped(text)}</td>" for text in texts)
        rows.append(
            '\n        <tr class="govuk-table__row">'
            f'\n          <th scope="row" class="govuk-table__header">{escaped(label)}{_CORE_TAG if is_core else ""}</th>'
            f"\n          {cells}"
            "\n        </tr>\n      "
        )
    return mark_safe("".join(rows))


def chart_svg(table: Table):
    """The table's bar chart, one SVG image with a title (the table beside it carries
    the figures for screen readers). Drawn here rather than in a template: the template
    rendered eight values a bar, a fifth of the dashboard's rendering. Every text is
    escaped (`escape`); the numbers are the chart's own."""
    bars = "".join(_bar(table, bar) for bar in table.bars)
    key = escaped(table.key)
    return mark_safe(
        f'<svg class="app-chart" viewBox="0 0 {table.width} {table.height}" width="100%" role="img" aria-labelledby="chart-title-{key}" focusable="false">'
        f'\n  <title id="chart-title-{key}">{escaped(table.chart_label)}</title>{bars}\n</svg>'
    )


_TEXT = '<text x="{}" y="{}" font-size="13" font-family="Arial, sans-serif" fill="#0b0c0c">{}</text>'


def _bar(table, bar):
    """A bar: its label, the bar itself (none for a zero or a suppressed count) and its
    value."""
    label = "\n  " + _TEXT.format(0, bar.label_y, escaped(bar.label))
    value = "\n  " + _TEXT.format(bar.text_x, bar.label_y, escaped(bar.text))
    if not bar.width:
        return label + value
    fill = CORE_FILL if bar.is_core else OTHER_FILL
    return f'{label}\n  <rect x="{table.bar_x}" y="{bar.y}" width="{bar.width}" height="{BAR_HEIGHT}" fill="{fill}"></rect>{value}'
