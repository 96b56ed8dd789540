"""REST API v1 for agency systems. Thin: reads go to selectors that take the
credential's user, writes to the same services as the web, audit as the web."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from openmarac.actions import selectors as action_selectors
from openmarac.actions import services as action_services
from openmarac.audit import services as audit
from openmarac.meetings import selectors as meeting_selectors
from openmarac.meetings import services as meeting_services
from openmarac.people.selectors import present_person
from openmarac.referrals import selectors as referral_selectors
from openmarac.referrals import services as referral_services

from . import selectors, serializers
from .exceptions import Conflict, errors
from .idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH, idempotent
from .pagination import Cursor

ERRORS = serializers.errors_schema()
COMMON_ERRORS = {
    400: OpenApiResponse(ERRORS, description="The request is not valid: each problem names its field"),
    401: OpenApiResponse(ERRORS, description="No credential, or one that is wrong, revoked or expired"),
    404: OpenApiResponse(ERRORS, description="Not found, or not yours to see"),
    429: OpenApiResponse(ERRORS, description="Too many requests: wait for Retry-After seconds"),
}
IDEMPOTENCY = OpenApiParameter(
    HEADER, {"type": "string", "pattern": KEY_PATTERN.pattern, "maxLength": MAX_KEY_LENGTH}, OpenApiParameter.HEADER, required=False,
    description="Any unique string (a UUID): the same key and body gives the same answer and creates nothing twice; another body is a 409.",
)
PAGE = [
    OpenApiParameter("cursor", str, description="From `next` or `previous`"),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": Cursor.max_page_size}, description="1 to 200; 50 by default"),
]


def _filtered(queryset, serializer_class, request):
    """The queryset narrowed by the query's filters, each checked by `serializer_class`
    and applied through its `LOOKUPS`. A plain dict, not the QueryDict: DRF reads a
    blank form value as "not given", and `?updated_after=` must be refused, not ignored."""
    filters = serializer_class(data={name: request.query_params[name] for name in serializer_class.LOOKUPS if name in request.query_params})
    filters.is_valid(raise_exception=True)
    return queryset.filter(**{serializer_class.LOOKUPS[name]: value for name, value in filters.validated_data.items()})


def _not_found():
    from rest_framework.exceptions import NotFound

    return NotFound()


def _audit_viewed(request, *, summary, obj=None, record_type=""):
    audit.record(action=audit.Action.VIEWED, actor=request.user, request=request, obj=obj, record_type=record_type, marac=request.auth.marac, summary=summary)


class ListView(GenericAPIView):
    pagination_class = Cursor

    def page(self, queryset, serializer_class):
        rows = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(rows, many=True).data)


# --- Referrals ----------------------------------------------------------------------------


class ReferralCreate(APIView):
    @extend_schema(
        operation_id="referral_create", parameters=[IDEMPOTENCY], request=serializers.ReferralIn,
        responses={201: serializers.ReferralOut, 409: OpenApiResponse(ERRORS, description="Idempotency-Key reused with another body"), **COMMON_ERRORS},
        summary="Submit a referral with its risk checklist",
    )
    def post(self, request):
        return idempotent(request, self, lambda: self._create(request))

    def _create(self, request):
        incoming = serializers.ReferralIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        credential = request.auth
        data = incoming.to_data(agency=credential.agency, review_owner=credential.created_by)
        referral = referral_services.referral_record(marac=credential.marac, data=data, by=request.user, request=request)
        referral.possible_matches = referral.match_candidates.count()
        return Response(serializers.ReferralOut(referral).data, status=status.HTTP_201_CREATED)


# --- Cases --------------------------------------------------------------------------------


class CaseList(ListView):
    @extend_schema(operation_id="case_list", parameters=[serializers.CaseFilters, *PAGE], responses={200: serializers.CaseSummaryOut(many=True), **COMMON_ERRORS}, summary="The cases you may open")
    def get(self, request):
        cases = _filtered(selectors.visible_cases(user=request.user, marac=request.auth.marac), serializers.CaseFilters, request)
        response = self.page(cases, serializers.CaseSummaryOut)
        _audit_viewed(request, record_type="referrals.case", summary="API: case list")
        return response


class CaseDetail(APIView):
    @extend_schema(operation_id="case_detail", responses={200: serializers.CaseOut, **COMMON_ERRORS}, summary="One case: its victim (sealed values withheld) and its episodes")
    def get(self, request, public_id):
        case = referral_selectors.case_for(user=request.user, public_id=public_id)
        if case is None or case.marac_id != request.auth.marac_id:
            raise _not_found()
        audit.record(action=audit.Action.VIEWED, actor=request.user, request=request, obj=case, marac=case.marac, summary="API")
        case.shown_victim = present_person(case.victim, user=request.user, marac=case.marac)
        case.episodes = referral_selectors.case_referrals(case=case).select_related("referring_agency")
        return Response(serializers.CaseOut(case).data)


# --- Meetings -------------------------------------------------------------------------------


class MeetingList(ListView):
    @extend_schema(operation_id="meeting_list", parameters=[serializers.MeetingFilters, *PAGE], responses={200: serializers.MeetingSummaryOut(many=True), **COMMON_ERRORS}, summary="Published meetings of the Marac")
    def get(self, request):
        meetings = meeting_selectors.meetings_for(user=request.user, marac=request.auth.marac, upcoming=False)
        meetings = _filtered(meetings, serializers.MeetingFilters, request)
        response = self.page(meetings, serializers.MeetingSummaryOut)
        _audit_viewed(request, record_type="meetings.meeting", summary="API: meeting list")
        return response


class MeetingDetail(APIView):
    @extend_schema(operation_id="meeting_detail", responses={200: serializers.MeetingOut, **COMMON_ERRORS}, summary="One meeting and the agenda items you may open")
    def get(self, request, public_id):
        meeting = meeting_selectors.meeting_for(user=request.user, public_id=public_id)
        if meeting is None or meeting.marac_id != request.auth.marac_id:
            raise _not_found()
        meeting.visible_agenda = meeting_selectors.visible_items(user=request.user, meeting=meeting).select_related("referral__case").order_by("pk")
        audit.record(action=audit.Action.VIEWED, actor=request.user, request=request, obj=meeting, marac=meeting.marac, summary="API: case list")
        return Response(serializers.MeetingOut(meeting).data)


class ResearchSubmit(APIView):
    @extend_schema(
        operation_id="research_submit", parameters=[IDEMPOTENCY], request=serializers.ResearchIn,
        responses={200: serializers.ResearchOut, 409: OpenApiResponse(ERRORS, description="Someone saved this research since your version, or Idempotency-Key reused"), **COMMON_ERRORS},
        summary="Save or return your agency's research on a listed case",
    )
    def post(self, request, public_id):
        return idempotent(request, self, lambda: self._save(request, public_id))

    def _save(self, request, public_id):
        meeting = meeting_selectors.meeting_for(user=request.user, public_id=public_id)
        if meeting is None or meeting.marac_id != request.auth.marac_id:
            raise _not_found()
        incoming = serializers.ResearchIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        item = meeting_selectors.visible_items(user=request.user, meeting=meeting).filter(referral__public_id=values.pop("referral_id")).select_related("referral").first()
        if item is None:
            raise _not_found()
        referral = item.referral
        submit, version = values.pop("submit"), values.pop("version")
        try:
            research = meeting_services.research_save(by=request.user, meeting=meeting, referral=referral, data=values, submit=submit, version=version, request=request)
        except meeting_services.ResearchConflict as conflict:
            raise Conflict(f"Someone else of your agency saved this research (now version {conflict.current.version}): read it again") from None
        return Response(serializers.ResearchOut(research).data)


# --- Actions and flags ------------------------------------------------------------------------


class ActionList(ListView):
    @extend_schema(operation_id="action_list", parameters=[serializers.ActionFilters, *PAGE], responses={200: serializers.ActionOut(many=True), **COMMON_ERRORS}, summary="Your agency's actions")
    def get(self, request):
        actions = action_selectors.actions_of_agency(user=request.user, marac=request.auth.marac).order_by()
        actions = _filtered(actions, serializers.ActionFilters, request)
        response = self.page(actions, serializers.ActionOut)
        _audit_viewed(request, record_type="actions.action", summary="API: agency actions")
        return response


def _agency_action(request, pk):
    action = action_selectors.action_for(user=request.user, pk=pk) if pk < 2**63 else None
    if action is None or action.case.marac_id != request.auth.marac_id:
        raise _not_found()
    return action


class ActionDetail(APIView):
    @extend_schema(operation_id="action_detail", responses={200: serializers.ActionOut, **COMMON_ERRORS}, summary="One of your agency's actions")
    def get(self, request, pk):
        action = _agency_action(request, pk)
        audit.record(action=audit.Action.VIEWED, actor=request.user, request=request, obj=action, marac=request.auth.marac, summary="API")
        return Response(serializers.ActionOut(action).data)


class ActionUpdate(APIView):
    @extend_schema(
        operation_id="action_update", parameters=[IDEMPOTENCY], request=serializers.ActionUpdateIn,
        responses={200: serializers.ActionOut, 409: OpenApiResponse(ERRORS, description="The action changed since your version, or Idempotency-Key reused"), **COMMON_ERRORS},
        summary="Report progress on one of your agency's actions",
    )
    def post(self, request, pk):
        return idempotent(request, self, lambda: self._report(request, pk))

    def _report(self, request, pk):
        action = _agency_action(request, pk)
        incoming = serializers.ActionUpdateIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            action = action_services.action_report(by=request.user, action=action, request=request, **incoming.validated_data)
        except action_services.EditConflict as conflict:
            raise Conflict(f"The action changed since you read it (now version {conflict.current.version}): read it again") from None
        return Response(serializers.ActionOut(action).data)


class FlagList(ListView):
    @extend_schema(operation_id="flag_list", parameters=PAGE, responses={200: serializers.FlagOut(many=True), **COMMON_ERRORS}, summary="Your agency's flags still on its files")
    def get(self, request):
        response = self.page(selectors.agency_flags(user=request.user, marac=request.auth.marac), serializers.FlagOut)
        _audit_viewed(request, record_type="actions.action", summary="API: agency flags")
        return response


@csrf_exempt
def no_such_endpoint(request):
    """Any other path under /api/v1/: a JSON 404 for every method, never an HTML page."""
    return JsonResponse(errors([(None, "There is no such endpoint: see /api/v1/schema/")]), status=404)
