"""Every list paginates and shows its total (templates/includes/pagination.html)."""

from django.core.paginator import Paginator

PER_PAGE = 25


def paginate(request, items, *, per_page=PER_PAGE):
    """The requested page of `items` (a queryset or a list); a page number out of range
    or not a number gives the nearest real page rather than an error."""
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))
