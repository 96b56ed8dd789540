from django.urls import path

from . import web

app_name = "api"

urlpatterns = [
    path("maracs/<slug:slug>/api-credentials/", web.credentials, name="credentials"),
    path("maracs/<slug:slug>/api-credentials/new/", web.credential_create, name="credential-create"),
    path("api/docs/", web.api_docs, name="docs"),
    path("api-credentials/<int:pk>/created/", web.credential_created, name="credential-created"),
    path("api-credentials/<int:pk>/revoke/", web.credential_revoke, name="credential-revoke"),
]
