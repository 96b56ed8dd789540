from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    path("meetings/<uuid:public_id>/run/", views.run_meeting, name="run-meeting"),
    path("meetings/<uuid:public_id>/cases/<int:item_id>/", views.hearing, name="hearing"),
    path("meetings/<uuid:public_id>/cases/<int:item_id>/live/", views.hearing_live, name="hearing-live"),
    path("meetings/<uuid:public_id>/cases/<int:item_id>/victim-told/", views.victim_told, name="victim-told"),
    path("meetings/<uuid:public_id>/minutes/", views.minutes, name="minutes"),
    path("meetings/<uuid:public_id>/for-my-agency/", views.agency_summary, name="agency-summary"),
    path("maracs/<slug:slug>/actions/", views.my_actions, name="mine"),
    path("maracs/<slug:slug>/flags/", views.flags_overview, name="flags"),
    path("maracs/<slug:slug>/all-actions/", views.marac_actions, name="all"),
    path("maracs/<slug:slug>/all-actions/agencies/<int:agency_id>/remind/", views.agency_chase, name="agency-chase"),
    path("actions/<int:pk>/remind/", views.action_chase, name="chase"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("actions/<int:pk>/records-updated/", views.records_updated, name="records-updated"),
    path("actions/<int:pk>/flag-removed/", views.flag_removed, name="flag-removed"),
]
