from django.urls import path

from . import restriction_views, views

app_name = "referrals"

urlpatterns = [
    path("referrals/", views.my_referrals, name="mine"),
    path("referrals/new/", views.start, name="start"),
    path("referrals/<uuid:public_id>/", views.referral_outcome, name="referral"),
    path("referrals/<uuid:public_id>/check/", views.check, name="check"),
    path("referrals/<uuid:public_id>/sent/", views.sent, name="sent"),
    path("referrals/<uuid:public_id>/quality-concern/", views.quality_concern, name="quality-concern"),
    path("referrals/<uuid:public_id>/<slug:slug>/", views.step, name="step"),
    path("search/", views.case_search, name="search"),
    path("cases/<uuid:public_id>/", views.case, name="case"),
    path("maracs/<slug:slug>/possible-matches/", views.match_queue, name="matches"),
    path("cases/<uuid:public_id>/matches/<int:pk>/", views.match_decision, name="match-decision"),
    path("cases/<uuid:public_id>/restriction/", restriction_views.case_restriction, name="restriction"),
    path("cases/<uuid:public_id>/break-glass/", restriction_views.break_glass, name="break-glass"),
    path("break-glass/<int:pk>/", restriction_views.break_glass_review, name="break-glass-review"),
    path("cases/<uuid:public_id>/transfer/", views.transfer_request, name="transfer-request"),
    path("cases/<uuid:public_id>/transfer-bundle.json", views.transfer_bundle, name="transfer-bundle"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer"),
    path("maracs/<slug:slug>/idva-referrals/", views.idva_referrals, name="idva-referrals"),
    path("idva-referrals/<int:pk>/", views.idva_referral, name="idva-referral"),
    path("children-referrals/<int:pk>/", views.children_prompt, name="children-prompt"),
    path("information-sharing/<int:pk>/", views.sharing_decision, name="sharing"),
    path("agency-checks/<int:pk>/", views.agency_check, name="agency-check"),
]
