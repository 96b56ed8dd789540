"""The dashboard's repeated rows and its charts are written in Python
(governance/display.py) exactly as the template loops and `format_html` calls they
replaced wrote them: each is drawn both ways, for any labels and values, and compared."""

from django.template import engines
from django.utils.html import format_html, format_html_join
from hypothesis import given
from hypothesis import strategies as st

from openmarac.governance import display, figures

# The loops of governance/dashboard.html and governance/_chart.html before the rows were
# written in Python.
OLD_FIGURE_ROWS = (
    '{% for item in items %}\n      <tr class="govuk-table__row" data-figure="{{ item.label }}">\n'
    '        <th scope="row" class="govuk-table__header"><a class="govuk-link" href="{{ definitions_url }}#{{ item.key }}">{{ item.label }}</a></th>\n'
    '        <td class="govuk-table__cell govuk-table__cell--numeric" data-value>{{ item.value }}</td>\n'
    '        <td class="govuk-table__cell govuk-table__cell--numeric">{{ item.previous }}</td>\n'
    '        <td class="govuk-table__cell govuk-table__cell--numeric">{{ item.national|default:"None published" }}</td>\n'
    "      </tr>\n    {% endfor %}"
)
OLD_OUTCOME_ROWS = (
    '{% for item in outcomes %}\n      <tr class="govuk-table__row" data-figure="{{ item.label }}">\n'
    '        <th scope="row" class="govuk-table__header"><a class="govuk-link" href="{{ definitions_url }}#{{ item.key }}">{{ item.label }}</a></th>\n'
    '        <td class="govuk-table__cell govuk-table__cell--numeric" data-value>{{ item.value }}</td>\n'
    "      </tr>\n    {% endfor %}"
)
OLD_TABLE_ROWS = (
    "{% for label, texts, is_core in table.rows %}\n"
    '        <tr class="govuk-table__row">\n'
    '          <th scope="row" class="govuk-table__header">{{ label }}{% if is_core %} <strong class="govuk-tag govuk-tag--blue">Core</strong>{% endif %}</th>\n'
    '          {% for text in texts %}<td class="govuk-table__cell govuk-table__cell--numeric">{{ text }}</td>{% endfor %}\n'
    "        </tr>\n"
    "      {% empty %}\n"
    '        <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="{{ table.columns|length|add:1 }}">None in this period.</td></tr>\n'
    "      {% endfor %}"
)


def _old_chart_svg(table):
    """display.chart_svg as it was, drawn with `format_html`."""
    label = '\n  <text x="0" y="{y}" font-size="13" font-family="Arial, sans-serif" fill="#0b0c0c">{label}</text>'
    rect = '\n  <rect x="{x}" y="{top}" width="{width}" height="{height}" fill="{fill}"></rect>'
    value = '\n  <text x="{text_x}" y="{y}" font-size="13" font-family="Arial, sans-serif" fill="#0b0c0c">{text}</text>'

    def bar_markup(bar):
        values = {"y": bar.label_y, "label": bar.label, "text_x": bar.text_x, "text": bar.text}
        if not bar.width:
            return format_html(label + value, **values)
        fill = display.CORE_FILL if bar.is_core else display.OTHER_FILL
        return format_html(label + rect + value, **values, x=table.bar_x, top=bar.y, width=bar.width, height=display.BAR_HEIGHT, fill=fill)

    bars = format_html_join("", "{}", ((bar_markup(bar),) for bar in table.bars))
    return format_html(
        '<svg class="app-chart" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="chart-title-{}" focusable="false">'
        '\n  <title id="chart-title-{}">{}</title>{}\n</svg>',
        table.width, table.height, table.key, table.key, table.chart_label, bars,
    )


def _render(template, **context):
    return engines["django"].from_string(template).render(context)


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
# Text that HTML must escape, as an agency's name or a figure's label might hold it.
awkward = st.one_of(texts, st.sampled_from(["Police <b>&</b>", 'Say "hi"', "O'Neil & Co", "fewer than 5", "1,234", ""]))
items = st.lists(st.builds(display.Item, key=st.sampled_from(["cases", "repeat_rate", "a&b"]), label=awkward, value=awkward, previous=awkward, national=awkward), max_size=6)
URLS = st.sampled_from(["/maracs/northshire/figures/definitions/", "/maracs/a&b/figures/definitions/"])


@given(items=items, definitions_url=URLS)
def test_figure_rows_are_written_as_the_loop_wrote_them(items, definitions_url):
    assert display.figure_rows(items, definitions_url) == _render(OLD_FIGURE_ROWS, items=items, definitions_url=definitions_url)


@given(items=items, definitions_url=URLS)
def test_outcome_rows_are_written_as_the_loop_wrote_them(items, definitions_url):
    written = display.figure_rows(items, definitions_url, compared=False)
    assert written == _render(OLD_OUTCOME_ROWS, outcomes=items, definitions_url=definitions_url)


counts = st.one_of(st.none(), st.integers(0, 100_000))
breakdowns = st.integers(1, 4).flatmap(
    lambda width: st.builds(
        figures.Breakdown,
        key=st.sampled_from(["attendance", "research", "k<&>"]),
        title=awkward,
        columns=st.lists(awkward.filter(bool), min_size=width, max_size=width),
        rows=st.lists(st.tuples(awkward, st.lists(counts, min_size=width, max_size=width), st.booleans()), max_size=8),
        chart_column=st.integers(0, width - 1),
        about_people=st.booleans(),
    )
)


@given(breakdowns)
def test_a_breakdown_s_rows_and_chart_are_written_as_before(breakdown):
    table = display.table(breakdown)
    assert table.body == _render(OLD_TABLE_ROWS, table=table)
    assert table.chart == _old_chart_svg(table)
