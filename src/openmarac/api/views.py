"""REST API v1 for agency systems. Thin: reads go to selectors that take the
credential's user, writes to the same services as the web, audit as the web."""

from operator import attrgetter

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import NotFound
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
from .exceptions import Conflict, flatten, errors
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


def _in_marac(request, record, marac_id=attrgetter("marac_id")):
    """`record` when a selector found it and it is of the credential's Marac; otherwise
    the same 404 as for a record that does not exist."""
    if record is None or marac_id(record) != request.auth.marac_id:
        raise NotFound()
    return record


def _audit_viewed(request, *, summary, obj=None, record_type=""):
    audit.record(action=audit.Action.VIEWED, actor=request.user, request=request, obj=obj, record_type=record_type, marac=request.auth.marac, summary=summary)


# A page of what the credential may see: `rows` from a selector, narrowed by the
# `filters` serializer's LOOKUPS (if any), each shown by `output`; the read audited.
# (Comments, not docstrings, on these base classes: a docstring would become every
# operation's description in the public schema.)
class ListView(GenericAPIView):
    pagination_class = Cursor
    output = filters = None
    audit_record_type = audit_summary = ""

    def rows(self, request):
        raise NotImplementedError

    def get(self, request):
        rows = self.rows(request)
        if self.filters is not None:
            rows = _filtered(rows, self.filters, request)
        response = self.get_paginated_response(self.output(self.paginate_queryset(rows), many=True).data)
        _audit_viewed(request, record_type=self.audit_record_type, summary=self.audit_summary)
        return response


def list_schema(*, operation_id, summary):
    """The schema of a ListView, from its `output` and `filters`."""

    def document(view):
        parameters = [view.filters, *PAGE] if view.filters else PAGE
        responses = {200: view.output(many=True), **COMMON_ERRORS}
        return extend_schema_view(get=extend_schema(operation_id=operation_id, parameters=parameters, responses=responses, summary=summary))(view)

    return document


# A POST carried out at most once per Idempotency-Key and body (idempotency.py): the
# subclass writes in `write`, with the URL's arguments.
class IdempotentWrite(APIView):
    def post(self, request, **kwargs):
        return idempotent(request, self, lambda: self.write(request, **kwargs))

    def write(self, request, **kwargs):
        raise NotImplementedError


def write_schema(*, operation_id, summary, request, response, conflict, status=200):
    """The schema of an IdempotentWrite: its Idempotency-Key, and 409 for `conflict`."""
    responses = {status: response, 409: OpenApiResponse(ERRORS, description=conflict), **COMMON_ERRORS}
    return extend_schema_view(
        post=extend_schema(operation_id=operation_id, parameters=[IDEMPOTENCY], request=request, responses=responses, summary=summary)
    )


# --- Referrals ----------------------------------------------------------------------------


@write_schema(
    operation_id="referral_create", summary="Submit a referral with its risk checklist", request=serializers.ReferralIn,
    response=serializers.ReferralOut, status=201, conflict="Idempotency-Key reused with another body",
)
class ReferralCreate(IdempotentWrite):
    # Every problem at once, as for the web form: the fields' own (types, lengths) and
    # the referral service's rules, named by request field. With fields at fault, the
    # rules run on what could be read, leaving out those that read a field at fault.
    def write(self, request):
        credential = request.auth
        marac, owner = credential.marac, credential.created_by
        incoming = serializers.ReferralIn(data=request.data)
        if not incoming.is_valid():
            pairs = list(flatten(incoming.errors))
            at_fault = [field for field, _ in pairs]
            if None not in at_fault and not any(f == "referred_on" for f in at_fault):
                values = serializers.readable(incoming, request.data)
                data = incoming.to_data(agency=credential.agency, review_owner=owner, values=values)
                problems = referral_services.referral_problems(marac=marac, data=data)
                pairs += serializers.referral_problem_fields(problems, marac=marac, data=data, at_fault=at_fault)
            return Response(errors(pairs), status=status.HTTP_400_BAD_REQUEST)
        data = incoming.to_data(agency=credential.agency, review_owner=owner)
        try:
            referral = referral_services.referral_record(marac=marac, data=data, by=request.user, request=request)
        except DjangoValidationError as error:
            problems = serializers.referral_problem_fields(error.message_dict, marac=marac, data=data)
            return Response(errors(problems), status=status.HTTP_400_BAD_REQUEST)
        referral.possible_matches = referral.match_candidates.count()
        return Response(serializers.ReferralOut(referral).data, status=status.HTTP_201_CREATED)


# --- Cases --------------------------------------------------------------------------------


@list_schema(operation_id="case_list", summary="The cases you may open")
class CaseList(ListView):
    output, filters = serializers.CaseSummaryOut, serializers.CaseFilters
    audit_record_type, audit_summary = "referrals.case", "API: case list"

    def rows(self, request):
        return selectors.visible_cases(user=request.user, marac=request.auth.marac)


class CaseDetail(APIView):
    @extend_schema(operation_id="case_detail", responses={200: serializers.CaseOut, **COMMON_ERRORS}, summary="One case: its victim (sealed values withheld) and its episodes")
    def get(self, request, public_id):
        case = _in_marac(request, referral_selectors.case_for(user=request.user, public_id=public_id))
        _audit_viewed(request, obj=case, summary="API")
        case.shown_victim = present_person(case.victim, user=request.user, marac=case.marac)
        case.episodes = referral_selectors.case_referrals(case=case).select_related("referring_agency")
        return Response(serializers.CaseOut(case).data)


# --- Meetings -------------------------------------------------------------------------------


def _meeting(request, public_id):
    return _in_marac(request, meeting_selectors.meeting_for(user=request.user, public_id=public_id))


@list_schema(operation_id="meeting_list", summary="Published meetings of the Marac")
class MeetingList(ListView):
    output, filters = serializers.MeetingSummaryOut, serializers.MeetingFilters
    audit_record_type, audit_summary = "meetings.meeting", "API: meeting list"

    def rows(self, request):
        return meeting_selectors.meetings_for(user=request.user, marac=request.auth.marac, upcoming=False)


class MeetingDetail(APIView):
    @extend_schema(operation_id="meeting_detail", responses={200: serializers.MeetingOut, **COMMON_ERRORS}, summary="One meeting and the agenda items you may open")
    def get(self, request, public_id):
        meeting = _meeting(request, public_id)
        meeting.visible_agenda = meeting_selectors.visible_items(user=request.user, meeting=meeting).select_related("referral__case").order_by("pk")
        _audit_viewed(request, obj=meeting, summary="API: case list")
        return Response(serializers.MeetingOut(meeting).data)


@write_schema(
    operation_id="research_submit", summary="Save or return your agency's research on a listed case", request=serializers.ResearchIn,
    response=serializers.ResearchOut, conflict="Someone saved this research since your version, or Idempotency-Key reused",
)
class ResearchSubmit(IdempotentWrite):
    def write(self, request, public_id):
        meeting = _meeting(request, public_id)
        incoming = serializers.ResearchIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        item = meeting_selectors.visible_items(user=request.user, meeting=meeting).filter(referral__public_id=values.pop("referral_id")).select_related("referral").first()
        if item is None:
            raise NotFound()
        referral = item.referral
        submit, version = values.pop("submit"), values.pop("version")
        try:
            research = meeting_services.research_save(by=request.user, meeting=meeting, referral=referral, data=values, submit=submit, version=version, request=request)
        except meeting_services.ResearchConflict as conflict:
            raise Conflict(f"Someone else of your agency saved this research (now version {conflict.current.version}): read it again") from None
        return Response(serializers.ResearchOut(research).data)


# --- Actions and flags ------------------------------------------------------------------------


@list_schema(operation_id="action_list", summary="Your agency's actions")
class ActionList(ListView):
    output, filters = serializers.ActionOut, serializers.ActionFilters
    audit_record_type, audit_summary = "actions.action", "API: agency actions"

    def rows(self, request):
        return action_selectors.actions_of_agency(user=request.user, marac=request.auth.marac).order_by()


def _agency_action(request, pk):
    action = action_selectors.action_for(user=request.user, pk=pk) if pk < 2**63 else None
    return _in_marac(request, action, attrgetter("case.marac_id"))


class ActionDetail(APIView):
    @extend_schema(operation_id="action_detail", responses={200: serializers.ActionOut, **COMMON_ERRORS}, summary="One of your agency's actions")
    def get(self, request, pk):
        action = _agency_action(request, pk)
        _audit_viewed(request, obj=action, summary="API")
        return Response(serializers.ActionOut(action).data)


@write_schema(
    operation_id="action_update", summary="Report progress on one of your agency's actions", request=serializers.ActionUpdateIn,
    response=serializers.ActionOut, conflict="The action changed since your version, or Idempotency-Key reused",
)
class ActionUpdate(IdempotentWrite):
    def write(self, request, pk):
        action = _agency_action(request, pk)
        incoming = serializers.ActionUpdateIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            action = action_services.action_report(by=request.user, action=action, request=request, **incoming.validated_data)
        except action_services.EditConflict as conflict:
            raise Conflict(f"The action changed since you read it (now version {conflict.current.version}): read it again") from None
        return Response(serializers.ActionOut(action).data)


@list_schema(operation_id="flag_list", summary="Your agency's flags still on its files")
class FlagList(ListView):
    output = serializers.FlagOut
    audit_record_type, audit_summary = "actions.action", "API: agency flags"

    def rows(self, request):
        return selectors.agency_flags(user=request.user, marac=request.auth.marac)


@csrf_exempt
def no_such_endpoint(request):
    """Any other path under /api/v1/: a JSON 404 for every method, never an HTML page."""
    return JsonResponse(errors([(None, "There is no such endpoint: see /api/v1/schema/")]), status=404)
