"""Requests per credential per minute, counted in the default cache (429 beyond, with
Retry-After). The rate is read from settings on each request, so it can be changed
without a restart of the class (and in tests)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class CredentialRateThrottle(SimpleRateThrottle):
    scope = "credential"

    def get_rate(self):
        return f"{settings.OPENMARAC_API_RATE_PER_MINUTE}/min"

    def get_cache_key(self, request, view):
        credential = request.auth
        if credential is None:
            return None  # refused anyway (401)
        return self.cache_format % {"scope": self.scope, "ident": credential.pk}
