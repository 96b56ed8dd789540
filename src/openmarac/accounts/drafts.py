"""What a person had typed when their session ended, kept until they sign in again.

When the idle limit signs out a page that polls (the live case screen), the page posts
its unsaved forms here before it goes to the sign-in page (static/openmarac/
keep-draft.js). The text stays on the server, in the signed-out browser's session, never
in the browser's storage, and is given back only to the same person, on the same page,
once: if someone else signs in on that browser, it is thrown away."""

from django.http import QueryDict

from .middleware import SIGNED_OUT_USER

DRAFTS = "openmarac_drafts"
# Enough for the longest minutes; a session row is not a file store.
MAX_DRAFT_CHARS = 100_000
MAX_PAGES = 5
_NOT_KEPT = {"csrfmiddlewaretoken", "page"}


def keep(request, *, page, data):
    """Keeps one form's fields for `page`; refuses (returns False) when this browser's
    session did not just time out, or the text is too long to keep."""
    if not page.startswith("/") or page.startswith("//") or request.session.get(SIGNED_OUT_USER) is None:
        return False
    fields = [(name, value) for name in data for value in data.getlist(name) if name not in _NOT_KEPT]
    if sum(len(name) + len(value) for name, value in fields) > MAX_DRAFT_CHARS:
        return False
    drafts = request.session.get(DRAFTS, {})
    if page not in drafts and len(drafts) >= MAX_PAGES:
        return False
    form_key = data.get("action", "")
    drafts.setdefault(page, {})[form_key] = fields
    request.session[DRAFTS] = drafts
    return True


def pending(request):
    """Whether forms were kept when someone was signed out (without taking them)."""
    return request.session.get(SIGNED_OUT_USER) is not None


def take(request, *, page):
    """The forms kept for `page` as {form key: QueryDict}, for the person who was signed
    out only; every kept draft of anyone else is discarded."""
    owner = request.session.get(SIGNED_OUT_USER)
    if owner is None:
        return {}
    if owner != request.user.pk:
        request.session.pop(DRAFTS, None)
        request.session.pop(SIGNED_OUT_USER, None)
        return {}
    drafts = request.session.get(DRAFTS, {})
    kept = drafts.pop(page, {})
    request.session[DRAFTS] = drafts
    if not drafts:
        request.session.pop(DRAFTS, None)
        request.session.pop(SIGNED_OUT_USER, None)
    result = {}
    for form_key, fields in kept.items():
        query = QueryDict(mutable=True)
        for name, value in fields:
            query.appendlist(name, value)
        result[form_key] = query
    return result


def restore(form, data):
    """Shows `data` in an unbound form as its starting values, read the way each widget
    reads a post (so checkboxes, radios and multiple choices come back as they were)."""
    for name, field in form.fields.items():
        form.initial[name] = field.widget.value_from_datadict(data, {}, form.add_prefix(name))
