"""Every list paginates and shows its total (templates/includes/pagination.html)."""

from django.core.paginator import Paginator

PER_PAGE = 25


def paginate(request, items, *, per_page=PER_PAGE, param="page"):
    """The requested page of `items` (a queryset or a list); a page number out of range
    or not a number gives the nearest real page rather than an error. Two lists on one
    page each take their own `param`."""
    paginator = Paginator(items, per_page)
    page = paginator.get_page(request.GET.get(param))
    page.param = param
    return page
