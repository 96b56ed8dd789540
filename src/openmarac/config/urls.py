from django.urls import include, path

urlpatterns = [
    path("", include("openmarac.core.urls")),
    path("", include("openmarac.accounts.urls")),
    path("", include("openmarac.referrals.urls")),
    path("", include("openmarac.risk.urls")),
    path("", include("openmarac.meetings.urls")),
    path("", include("openmarac.actions.urls")),
    path("", include("openmarac.governance.urls")),
    path("", include("openmarac.records.urls")),
    path("", include("openmarac.audit.urls")),
    path("", include("openmarac.api.web_urls")),
    path("api/v1/", include("openmarac.api.urls")),
    path("", include("openmarac.background.urls")),
]

handler400 = "openmarac.core.views.bad_request"
handler403 = "openmarac.core.views.permission_denied"
handler404 = "openmarac.core.views.page_not_found"
# handler500 stays Django's default: it renders templates/500.html with no context,
# so nothing about the request can leak into it.
