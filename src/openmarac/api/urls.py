"""/api/v1/: the REST API for agency systems (docs/api.md)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import views

app_name = "api-v1"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("referrals/", views.ReferralCreate.as_view(), name="referrals"),
    path("cases/", views.CaseList.as_view(), name="cases"),
    path("cases/<uuid:public_id>/", views.CaseDetail.as_view(), name="case"),
    path("meetings/", views.MeetingList.as_view(), name="meetings"),
    path("meetings/<uuid:public_id>/", views.MeetingDetail.as_view(), name="meeting"),
    path("meetings/<uuid:public_id>/research/", views.ResearchSubmit.as_view(), name="research"),
    path("actions/", views.ActionList.as_view(), name="actions"),
    path("actions/<int:pk>/", views.ActionDetail.as_view(), name="action"),
    path("actions/<int:pk>/updates/", views.ActionUpdate.as_view(), name="action-updates"),
    path("flags/", views.FlagList.as_view(), name="flags"),
    re_path(r"^.*$", views.no_such_endpoint, name="no-such-endpoint"),
]
