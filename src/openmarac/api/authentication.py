"""`Authorization: Bearer om_<prefix>_<secret>`: a per-agency API credential."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import services


class CredentialAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme != self.keyword or not token.strip():
            raise exceptions.AuthenticationFailed("Give the credential as: Authorization: Bearer <token>")
        credential = services.credential_authenticate(token.strip())
        if credential is None:
            # The same answer for unknown, revoked and expired: nothing to probe.
            raise exceptions.AuthenticationFailed("This credential is not valid: it may be wrong, revoked or expired")
        return credential.user, credential

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class CredentialAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = CredentialAuthentication
    name = "credential"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A per-agency API credential: om_<prefix>_<secret>"}
