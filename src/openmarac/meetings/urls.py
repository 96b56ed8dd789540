from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("maracs/<slug:slug>/meetings/", views.meetings, name="meetings"),
    path("maracs/<slug:slug>/meetings/pattern/", views.pattern, name="pattern"),
    path("maracs/<slug:slug>/meetings/new/", views.meeting_add, name="meeting-add"),
    path("maracs/<slug:slug>/listing/", views.listing, name="listing"),
    path("maracs/<slug:slug>/my-slots/", views.agency_slots, name="agency-slots"),
    path("meetings/<uuid:public_id>/", views.meeting, name="meeting"),
    path("meetings/<uuid:public_id>/change/", views.meeting_change, name="meeting-change"),
    path("meetings/<uuid:public_id>/early/", views.date_override, name="date-override"),
    path("meetings/<uuid:public_id>/declaration/", views.declaration, name="declaration"),
    path("meetings/<uuid:public_id>/case-list.pdf", views.case_list_pdf, name="case-list-pdf"),
    path("meetings/<uuid:public_id>/meeting.ics", views.meeting_ics, name="meeting-ics"),
    path("meetings/<uuid:public_id>/items/<int:pk>/move/", views.item_move, name="item-move"),
    path("meetings/<uuid:public_id>/research/", views.research, name="research"),
    path("meetings/<uuid:public_id>/research/<uuid:referral_id>/", views.research_case, name="research-case"),
    path("meetings/<uuid:public_id>/research/remind/<int:agency_id>/", views.research_remind, name="research-remind"),
    path("meetings/<uuid:public_id>/register/", views.register, name="register"),
    path("meetings/<uuid:public_id>/research/<uuid:referral_id>/delegate/", views.research_delegate, name="research-delegate"),
    path("research-requests/<int:pk>/", views.delegated_research, name="delegated-research"),
    path("research-requests/<int:pk>/withdraw/", views.research_delegation_withdraw, name="research-delegation-withdraw"),
]
