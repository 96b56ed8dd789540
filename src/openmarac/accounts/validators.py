"""Password rules beyond Django's own, as docs/security.md promises."""

import re

from django.core.exceptions import ValidationError

_MIN_PART = 3
# Shorter parts ("Sam", "Li") are matched only as whole words, so "compass amber" is
# not refused for Sam; longer ones anywhere, so "priyashah123" is refused for Priya Shah.
_ANYWHERE_PART = 4


def _parts(user):
    """The pieces of a person's name and email address someone might build a password
    from: each name, the whole name run together, and the email's local parts (not
    the domain, which a whole organisation shares)."""
    name = (getattr(user, "full_name", "") or "").lower()
    email = (getattr(user, "email", "") or "").lower()
    local = email.partition("@")[0]
    pieces = set(re.split(r"[^a-z0-9]+", name)) | set(re.split(r"[^a-z0-9]+", local))
    pieces |= {re.sub(r"[^a-z0-9]", "", name), re.sub(r"[^a-z0-9]", "", local)}
    return {piece for piece in pieces if len(piece) >= _MIN_PART}


class PersonalDetailsValidator:
    """Refuses a password that contains the person's name or a part of their email
    address (for example "priyashah123" for Priya Shah), ignoring case and
    punctuation. Django's similarity check compares whole strings and lets these pass."""

    def validate(self, password, user=None):
        if user is None:
            return
        lowered = password.lower()
        squashed = re.sub(r"[^a-z0-9]", "", lowered)
        words = set(re.split(r"[^a-z]+", lowered)) | set(re.split(r"[^a-z0-9]+", lowered))
        if any(part in squashed if len(part) >= _ANYWHERE_PART else part in words for part in _parts(user)):
            raise ValidationError(
                "Your password must not contain your name or part of your email address.", code="password_personal_details"
            )

    def get_help_text(self):
        return "Your password must not contain your name or part of your email address."
