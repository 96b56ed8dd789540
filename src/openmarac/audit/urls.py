from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("maracs/<slug:slug>/confidentiality/", views.views_by_user, name="views-by-user"),
    path("maracs/<slug:slug>/confidentiality/agencies/", views.views_by_agency, name="views-by-agency"),
    path("maracs/<slug:slug>/confidentiality/users/<int:user_id>/", views.user_records, name="user-records"),
    path("maracs/<slug:slug>/confidentiality/exceptions/", views.exceptions, name="exceptions"),
    # The exception's key is in the address; a case (for "not involved") is `?record=`.
    path("maracs/<slug:slug>/confidentiality/exceptions/<slug:kind>/<int:user_id>/<str:day>/", views.exception_review, name="exception-review"),
]
