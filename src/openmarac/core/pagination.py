"""Every list paginates and shows its total (templates/includes/pagination.html)."""

from django.core.paginator import Paginator

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
