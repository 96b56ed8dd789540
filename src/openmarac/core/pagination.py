"""Every list paginates and shows its total (templates/includes/pagination.html)."""

from django.core.paginator import Page, Paginator

PER_PAGE = 25


def paginate(request, items, *, per_page=PER_PAGE, param="page", count=None):
    """The requested page of `items` (a queryset or a list); a page number out of range
    or not a number gives the nearest real page rather than an error. Two lists on one
    page each take their own `param`. `count`: the total, when the caller has already
    counted the same rows (a tab's count), so they are not counted twice."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached property: this is the value it would compute
    page = paginator.get_page(request.GET.get(param))
    page.param = param
    return page


def paginate_search(request, items, *, per_page=PER_PAGE, param="page"):
    """`paginate` for search results, whose count costs as much as reading them (both
    scan for the matches), and for lists that are most often one page (an agency's
    actions): a count is a query, and on PostgreSQL a round trip, of its own. The first page is read before anything is counted: when it
    is not full it holds every result, so its length is the total and a search that fits
    on one page (most do) runs one query instead of two. A fuller first page, or any
    other page, is counted as `paginate` counts it."""
    if request.GET.get(param, "1") != "1":
        return paginate(request, items, per_page=per_page, param=param)
    paginator = Paginator(items, per_page)
    first = list(items[:per_page])
    if len(first) < per_page:
        paginator.count = len(first)  # a cached property: this is the value it would compute
    page = Page(first, 1, paginator)
    page.param = param
    return page
