from django.urls import path

from . import manage_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-in/code/", views.mfa_verify, name="mfa-verify"),
    path("sign-in/set-up-authenticator/", views.mfa_setup, name="mfa-setup"),
    path("sign-in/recovery-code/", views.mfa_recovery, name="mfa-recovery"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("sign-in/kept-draft/", views.signed_out_draft, name="signed-out-draft"),
    path("account/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("account/recovery-codes/download/", views.recovery_codes_download, name="recovery-codes-download"),
    path("account/invitations/", views.offers, name="offers"),
    path("invitation/<uidb64>/<token>/", views.accept_invitation, name="accept-invitation"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("maracs/", manage_views.maracs, name="maracs"),
    path("maracs/new/", manage_views.marac_create, name="marac-create"),
    path("maracs/<slug:slug>/users/", manage_views.members, name="members"),
    path("maracs/<slug:slug>/users/invite/", manage_views.invite, name="invite"),
    path("maracs/<slug:slug>/users/<int:pk>/", manage_views.member, name="member"),
    path("maracs/<slug:slug>/users/<int:pk>/<slug:action>/", manage_views.member_action, name="member-action"),
    path("maracs/<slug:slug>/agencies/", manage_views.agencies, name="agencies"),
    path("maracs/<slug:slug>/agencies/add/", manage_views.agency_add, name="agency-add"),
    path("maracs/<slug:slug>/agencies/<int:pk>/", manage_views.agency_edit, name="agency-edit"),
    path("maracs/<slug:slug>/settings/", manage_views.marac_settings, name="marac-settings"),
]
