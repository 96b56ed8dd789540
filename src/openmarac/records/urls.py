from django.urls import path

from . import views

app_name = "records"

urlpatterns = [
    path("maracs/<slug:slug>/subject-access/", views.sar_list, name="sar-list"),
    path("maracs/<slug:slug>/subject-access/new/", views.sar_add, name="sar-add"),
    path("subject-access/<int:pk>/", views.sar_detail, name="sar"),
    path("subject-access/<int:pk>/link/", views.sar_link, name="sar-link"),
    path("subject-access/<int:pk>/complete/", views.sar_complete, name="sar-complete"),
    path("subject-access/<int:pk>/bundle.json", views.sar_bundle_json, name="sar-bundle-json"),
    path("subject-access/<int:pk>/bundle.pdf", views.sar_bundle_pdf, name="sar-bundle-pdf"),
    path("cases/<uuid:public_id>/people/<int:pk>/correct/", views.person_correct, name="person-correct"),
]
